defmodule Smoke.ScaleTest do
  use ExUnit.Case, async: false

  @moduletag :smoke

  alias Smoke.Helpers.AgentSim
  alias TaskQueue.{AgentFSM, Queue}

  @agents 4
  @tasks 20

  test "4 agents complete 20 tasks" do
    %{queue: queue} = AgentSim.start_pool(@agents)

    ids = AgentSim.enqueue_many(queue, @tasks, &AgentSim.sleeping_job(2, &1))

    assert :ok = TaskQueue.await(queue, 5_000)
    assert Queue.results(queue) |> Map.take(ids) |> map_size() == @tasks
  end

  @tag :slow
  test "20 tasks of 100 ms on 4 agents take well under the serial time" do
    %{queue: queue} = AgentSim.start_pool(@agents)

    {micros, :ok} =
      :timer.tc(fn ->
        AgentSim.enqueue_many(queue, @tasks, &AgentSim.sleeping_job(100, &1))
        TaskQueue.await(queue, 10_000)
      end)

    serial_ms = @tasks * 100
    assert div(micros, 1_000) < serial_ms / 2
  end

  describe "load balancing" do
    @describetag :balance

    setup do
      pool = AgentSim.start_pool(@agents)
      AgentSim.enqueue_many(pool.queue, @tasks, &AgentSim.sleeping_job(10, &1))
      :ok = TaskQueue.await(pool.queue, 5_000)
      pool
    end

    test "every agent completes at least one task", %{agents: agents} do
      for agent <- agents do
        assert {:idle, nil, completed} = AgentFSM.info(agent)
        assert completed >= 1
      end
    end

    test "no task is completed twice", %{queue: queue, agents: agents} do
      total = agents |> Enum.map(&(AgentFSM.info(&1) |> elem(2))) |> Enum.sum()

      assert total == @tasks
      assert %{completed: @tasks, requeued: 0} = Queue.stats(queue)
    end
  end
end
