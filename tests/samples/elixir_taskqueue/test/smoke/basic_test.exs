defmodule Smoke.BasicTest do
  use ExUnit.Case, async: true

  @moduletag :smoke

  alias Smoke.Helpers.AgentSim
  alias TaskQueue.{AgentFSM, Queue}

  test "10 tasks complete with a single agent" do
    %{queue: queue} = AgentSim.start_pool(1)

    ids = AgentSim.enqueue_many(queue, 10, fn i -> fn -> i * i end end)

    assert :ok = TaskQueue.await(queue, 2_000)
    results = Queue.results(queue)
    assert Enum.map(ids, &Map.fetch!(results, &1)) == Enum.map(1..10, &(&1 * &1))
  end

  test "10 tasks complete with two agents and the stats add up" do
    %{queue: queue, agents: agents} = AgentSim.start_pool(2)

    AgentSim.enqueue_many(queue, 10, &AgentSim.sleeping_job(5, &1))

    assert :ok = TaskQueue.await(queue, 2_000)
    assert %{pending: 0, in_flight: 0, completed: 10, requeued: 0} = Queue.stats(queue)

    completed = agents |> Enum.map(&AgentFSM.info/1) |> Enum.map(&elem(&1, 2)) |> Enum.sum()
    assert completed == 10
  end

  test "a task that raises is reported as an error and the agent keeps working" do
    %{queue: queue, agents: [agent]} = AgentSim.start_pool(1)

    {:ok, bad} = Queue.enqueue(queue, fn -> raise ArgumentError, "bad input" end)
    {:ok, good} = Queue.enqueue(queue, fn -> :ok end)

    assert :ok = TaskQueue.await(queue, 1_000)

    assert %{^bad => {:error, %ArgumentError{message: "bad input"}}, ^good => :ok} =
             Queue.results(queue)

    assert Process.alive?(agent)
  end

  test "an idle pool drains immediately" do
    %{queue: queue} = AgentSim.start_pool(2)

    assert :ok = TaskQueue.await(queue, 100)
  end
end
