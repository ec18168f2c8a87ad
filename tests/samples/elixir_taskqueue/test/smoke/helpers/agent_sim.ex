defmodule Smoke.Helpers.AgentSim do
  @moduledoc """
  Helpers for the smoke suite: start a queue and agents under the test
  supervisor, build jobs with controllable timing, poll for conditions.

  Compiled in the test environment only (see `elixirc_paths/1` in mix.exs).
  """

  import ExUnit.Callbacks, only: [start_supervised!: 1, start_supervised!: 2]

  alias TaskQueue.{AgentFSM, Queue}

  @doc "Starts a queue and `count` agents; returns `%{queue: pid, agents: [pid]}`."
  def start_pool(count, opts \\ []) do
    queue = start_queue()
    agents = for i <- 1..count//1, do: start_agent(queue, {:agent, i}, opts)
    %{queue: queue, agents: agents}
  end

  def start_queue do
    start_supervised!({Queue, []}, id: {:queue, make_ref()})
  end

  def start_agent(queue, id, opts \\ []) do
    start_supervised!({AgentFSM, Keyword.merge([id: id, queue: queue], opts)})
  end

  @doc "Enqueues `count` jobs built by `builder.(i)`; returns the job ids in order."
  def enqueue_many(queue, count, builder) do
    for i <- 1..count do
      {:ok, id} = Queue.enqueue(queue, builder.(i))
      id
    end
  end

  @doc "A job that sleeps `ms` milliseconds and returns `value`."
  def sleeping_job(ms, value) do
    fn ->
      Process.sleep(ms)
      value
    end
  end

  @doc """
  A job that tells `test_pid` it started (`{:job_started, agent_pid}`) and
  then blocks until it receives `:release`.
  """
  def blocking_job(test_pid, value) do
    fn ->
      send(test_pid, {:job_started, self()})

      receive do
        :release -> value
      end
    end
  end

  @doc "Polls `fun` every 5 ms until it returns a truthy value or `timeout` ms pass."
  def wait_until(fun, timeout \\ 1_000) do
    deadline = System.monotonic_time(:millisecond) + timeout
    do_wait_until(fun, deadline)
  end

  defp do_wait_until(fun, deadline) do
    cond do
      fun.() ->
        :ok

      System.monotonic_time(:millisecond) > deadline ->
        raise ExUnit.AssertionError, message: "condition not met before timeout"

      true ->
        Process.sleep(5)
        do_wait_until(fun, deadline)
    end
  end
end
