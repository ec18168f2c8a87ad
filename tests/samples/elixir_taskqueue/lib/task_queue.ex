defmodule TaskQueue do
  @moduledoc """
  An in-memory task queue worked by a pool of agents.

      {:ok, queue} = TaskQueue.Queue.start_link([])
      {:ok, _agent} = TaskQueue.AgentFSM.start_link(id: :a1, queue: queue)
      {:ok, id} = TaskQueue.enqueue(queue, fn -> 1 + 1 end)
      :ok = TaskQueue.await(queue, 1_000)
      %{^id => 2} = TaskQueue.results(queue)
  """

  alias TaskQueue.Queue

  defmodule Job do
    @moduledoc "A unit of work: a zero-arity function plus bookkeeping."
    @enforce_keys [:id, :fun]
    defstruct [:id, :fun, attempts: 0]

    @type t :: %__MODULE__{id: pos_integer(), fun: (() -> term()), attempts: non_neg_integer()}
  end

  @spec enqueue(GenServer.server(), (() -> term())) :: {:ok, pos_integer()}
  defdelegate enqueue(queue, fun), to: Queue

  @spec await(GenServer.server(), timeout()) :: :ok
  def await(queue, timeout \\ 5_000), do: Queue.await_drained(queue, timeout)

  @spec results(GenServer.server()) :: %{pos_integer() => term()}
  defdelegate results(queue), to: Queue
end
