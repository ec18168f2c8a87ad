defmodule TaskQueue.QueueTest do
  use ExUnit.Case, async: true

  alias TaskQueue.Queue

  setup do
    %{queue: start_supervised!(Queue)}
  end

  test "an empty queue has nothing to check out", %{queue: queue} do
    assert :empty = Queue.checkout(queue)
  end

  test "jobs are checked out in FIFO order", %{queue: queue} do
    {:ok, a} = Queue.enqueue(queue, fn -> :a end)
    {:ok, b} = Queue.enqueue(queue, fn -> :b end)

    assert {:ok, %{id: ^a}} = Queue.checkout(queue)
    assert {:ok, %{id: ^b}} = Queue.checkout(queue)
    assert :empty = Queue.checkout(queue)
  end

  test "job ids increase from 1", %{queue: queue} do
    assert {:ok, 1} = Queue.enqueue(queue, fn -> :ok end)
    assert {:ok, 2} = Queue.enqueue(queue, fn -> :ok end)
  end

  test "complete stores the result", %{queue: queue} do
    {:ok, id} = Queue.enqueue(queue, fn -> :ok end)
    {:ok, job} = Queue.checkout(queue)

    assert :ok = Queue.complete(queue, id, job.fun.())
    assert Queue.results(queue) == %{id => :ok}
  end

  test "completing an unknown job is an error", %{queue: queue} do
    assert {:error, :unknown_job} = Queue.complete(queue, 42, :ok)
  end

  test "stats count pending and in-flight jobs", %{queue: queue} do
    for _ <- 1..3, do: Queue.enqueue(queue, fn -> :ok end)
    {:ok, _job} = Queue.checkout(queue)

    assert Queue.stats(queue) == %{pending: 2, in_flight: 1, completed: 0, requeued: 0}
  end

  test "await_drained waits for in-flight jobs", %{queue: queue} do
    {:ok, id} = Queue.enqueue(queue, fn -> :ok end)
    {:ok, _job} = Queue.checkout(queue)
    waiter = Task.async(fn -> Queue.await_drained(queue, 1_000) end)

    refute Task.yield(waiter, 20)
    :ok = Queue.complete(queue, id, :ok)
    assert Task.await(waiter) == :ok
  end

  test "a job held by a dead agent is requeued", %{queue: queue} do
    agent =
      spawn(fn ->
        receive do
          :stop -> :ok
        end
      end)

    {:ok, id} = Queue.enqueue(queue, fn -> :ok end)
    {:ok, _job} = Queue.checkout(queue, agent)

    ref = Process.monitor(agent)
    send(agent, :stop)
    assert_receive {:DOWN, ^ref, :process, ^agent, :normal}

    # The queue gets its own :DOWN independently of ours; give it a moment.
    Process.sleep(10)
    assert %{pending: 1, in_flight: 0, requeued: 1} = Queue.stats(queue)
    assert {:ok, %{id: ^id, attempts: 2}} = Queue.checkout(queue)
  end
end
