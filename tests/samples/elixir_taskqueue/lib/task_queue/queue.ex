defmodule TaskQueue.Queue do
  @moduledoc """
  FIFO queue of jobs. Agents check jobs out and report results back.

  The queue monitors every agent holding a job: when an agent goes down
  before completing, its job is requeued at the front with `attempts + 1`.
  """
  use GenServer

  alias TaskQueue.Job

  defstruct pending: :queue.new(),
            in_flight: %{},
            results: %{},
            requeued: 0,
            next_id: 1,
            waiters: []

  ## Client API

  def start_link(opts \\ []) do
    GenServer.start_link(__MODULE__, :ok, Keyword.take(opts, [:name]))
  end

  @spec enqueue(GenServer.server(), (() -> term())) :: {:ok, pos_integer()}
  def enqueue(queue, fun) when is_function(fun, 0) do
    GenServer.call(queue, {:enqueue, fun})
  end

  @doc "Hands the next job to `agent` (a pid), or returns `:empty`."
  @spec checkout(GenServer.server(), pid()) :: {:ok, Job.t()} | :empty
  def checkout(queue, agent \\ self()) when is_pid(agent) do
    GenServer.call(queue, {:checkout, agent})
  end

  @spec complete(GenServer.server(), pos_integer(), term()) :: :ok | {:error, :unknown_job}
  def complete(queue, job_id, result) do
    GenServer.call(queue, {:complete, job_id, result})
  end

  @spec stats(GenServer.server()) :: map()
  def stats(queue), do: GenServer.call(queue, :stats)

  @spec results(GenServer.server()) :: %{pos_integer() => term()}
  def results(queue), do: GenServer.call(queue, :results)

  @doc "Blocks until no job is pending or in flight."
  @spec await_drained(GenServer.server(), timeout()) :: :ok
  def await_drained(queue, timeout \\ 5_000) do
    GenServer.call(queue, :await_drained, timeout)
  end

  ## Server

  @impl true
  def init(:ok), do: {:ok, %__MODULE__{}}

  @impl true
  def handle_call({:enqueue, fun}, _from, state) do
    job = %Job{id: state.next_id, fun: fun}
    state = %{state | pending: :queue.in(job, state.pending), next_id: state.next_id + 1}
    {:reply, {:ok, job.id}, state}
  end

  def handle_call({:checkout, agent}, _from, state) do
    case :queue.out(state.pending) do
      {{:value, job}, rest} ->
        job = %{job | attempts: job.attempts + 1}
        ref = Process.monitor(agent)
        in_flight = Map.put(state.in_flight, job.id, {job, agent, ref})
        {:reply, {:ok, job}, %{state | pending: rest, in_flight: in_flight}}

      {:empty, _} ->
        {:reply, :empty, state}
    end
  end

  def handle_call({:complete, job_id, result}, _from, state) do
    case Map.pop(state.in_flight, job_id) do
      {{_job, _agent, ref}, in_flight} ->
        Process.demonitor(ref, [:flush])
        state = %{state | in_flight: in_flight, results: Map.put(state.results, job_id, result)}
        {:reply, :ok, notify_if_drained(state)}

      {nil, _} ->
        {:reply, {:error, :unknown_job}, state}
    end
  end

  def handle_call(:stats, _from, state) do
    stats = %{
      pending: :queue.len(state.pending),
      in_flight: map_size(state.in_flight),
      completed: map_size(state.results),
      requeued: state.requeued
    }

    {:reply, stats, state}
  end

  def handle_call(:results, _from, state), do: {:reply, state.results, state}

  def handle_call(:await_drained, from, state) do
    if drained?(state) do
      {:reply, :ok, state}
    else
      {:noreply, %{state | waiters: [from | state.waiters]}}
    end
  end

  @impl true
  def handle_info({:DOWN, ref, :process, _agent, _reason}, state) do
    lost = for {id, {_job, _agent, ^ref}} <- state.in_flight, do: id

    state =
      Enum.reduce(lost, state, fn id, acc ->
        {{job, _agent, _ref}, in_flight} = Map.pop(acc.in_flight, id)

        %{
          acc
          | in_flight: in_flight,
            pending: :queue.in_r(job, acc.pending),
            requeued: acc.requeued + 1
        }
      end)

    {:noreply, state}
  end

  def handle_info(_unexpected, state), do: {:noreply, state}

  defp drained?(state), do: :queue.is_empty(state.pending) and state.in_flight == %{}

  defp notify_if_drained(state) do
    if drained?(state) do
      Enum.each(state.waiters, &GenServer.reply(&1, :ok))
      %{state | waiters: []}
    else
      state
    end
  end
end
