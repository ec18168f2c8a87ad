defmodule Smoke.FailureTest do
  use ExUnit.Case, async: true

  @moduletag :smoke

  alias Smoke.Helpers.AgentSim
  alias TaskQueue.Queue

  test "an agent killed mid-task has its task requeued and finished by another agent" do
    queue = AgentSim.start_queue()
    first = AgentSim.start_agent(queue, :first)

    {:ok, job_id} = Queue.enqueue(queue, AgentSim.blocking_job(self(), :finished))
    assert_receive {:job_started, ^first}, 1_000

    ref = Process.monitor(first)
    Process.exit(first, :kill)
    assert_receive {:DOWN, ^ref, :process, ^first, :killed}

    AgentSim.wait_until(fn -> Queue.stats(queue).requeued == 1 end)
    assert %{pending: 1, in_flight: 0, completed: 0} = Queue.stats(queue)

    second = AgentSim.start_agent(queue, :second)
    assert_receive {:job_started, ^second}, 1_000
    send(second, :release)

    assert :ok = TaskQueue.await(queue, 1_000)
    assert Queue.results(queue) == %{job_id => :finished}
  end

  test "a requeued task goes to the front of the queue" do
    queue = AgentSim.start_queue()
    agent = spawn(fn -> Process.sleep(:infinity) end)

    {:ok, first} = Queue.enqueue(queue, fn -> :first end)
    {:ok, _second} = Queue.enqueue(queue, fn -> :second end)
    assert {:ok, %{id: ^first, attempts: 1}} = Queue.checkout(queue, agent)

    Process.exit(agent, :kill)
    AgentSim.wait_until(fn -> Queue.stats(queue).requeued == 1 end)

    assert {:ok, %{id: ^first, attempts: 2}} = Queue.checkout(queue, self())
  end

  test "completing a task twice is refused" do
    queue = AgentSim.start_queue()
    {:ok, id} = Queue.enqueue(queue, fn -> :ok end)
    {:ok, _job} = Queue.checkout(queue, self())

    assert :ok = Queue.complete(queue, id, :ok)
    assert {:error, :unknown_job} = Queue.complete(queue, id, :ok)
  end
end
