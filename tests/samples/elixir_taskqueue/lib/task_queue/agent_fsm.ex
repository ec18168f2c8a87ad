defmodule TaskQueue.AgentFSM do
  @moduledoc """
  A worker agent as a `:gen_statem` with two states:

    * `:idle`    - polls the queue every `poll_interval` ms
    * `:working` - runs the checked-out job, reports the result, goes idle

  A job that raises does not crash the agent: its result is
  `{:error, exception}`.
  """
  @behaviour :gen_statem

  alias TaskQueue.Queue

  defstruct [:id, :queue, :current, poll_interval: 10, completed: 0]

  def child_spec(opts) do
    %{
      id: {__MODULE__, Keyword.fetch!(opts, :id)},
      start: {__MODULE__, :start_link, [opts]},
      restart: :temporary
    }
  end

  def start_link(opts) do
    :gen_statem.start_link(__MODULE__, opts, [])
  end

  @doc "Returns `{state, current_job_id | nil, completed_count}`."
  def info(agent), do: :gen_statem.call(agent, :get_info)

  @impl :gen_statem
  def callback_mode, do: :handle_event_function

  @impl :gen_statem
  def init(opts) do
    data = %__MODULE__{
      id: Keyword.fetch!(opts, :id),
      queue: Keyword.fetch!(opts, :queue),
      poll_interval: Keyword.get(opts, :poll_interval, 10)
    }

    {:ok, :idle, data, [{:next_event, :internal, :poll}]}
  end

  @impl :gen_statem
  def handle_event(event_type, :poll, :idle, data)
      when event_type in [:internal, :state_timeout] do
    case Queue.checkout(data.queue, self()) do
      {:ok, job} ->
        {:next_state, :working, %{data | current: job}, [{:next_event, :internal, :run}]}

      :empty ->
        {:keep_state_and_data, [{:state_timeout, data.poll_interval, :poll}]}
    end
  end

  def handle_event(:internal, :run, :working, %{current: job} = data) do
    result = run(job)
    :ok = Queue.complete(data.queue, job.id, result)
    data = %{data | current: nil, completed: data.completed + 1}
    {:next_state, :idle, data, [{:next_event, :internal, :poll}]}
  end

  def handle_event({:call, from}, :get_info, state, data) do
    current = if data.current, do: data.current.id
    {:keep_state_and_data, [{:reply, from, {state, current, data.completed}}]}
  end

  def handle_event(:info, _unexpected, _state, _data), do: :keep_state_and_data

  defp run(job) do
    job.fun.()
  rescue
    exception -> {:error, exception}
  end
end
