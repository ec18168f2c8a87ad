# gateui's ExUnit formatter: runs INSIDE `mix test` of the project under test.
#
# gateui loads it with `elixir -r THIS_FILE -S mix test … --formatter GateuiFormatter
# --formatter ExUnit.CLIFormatter` (the project's own output stays as it is) and names a file in
# GATEUI_EVENTS. Each event is one JSON object per line, appended to that file, in the shape
# gateui's pytest plugin writes, so the same reader turns both into typed events:
#
#   {"e":"session_start","rootdir":…}  {"e":"test_start","nodeid":…}  {"e":"test","outcome":…}
#   {"e":"collect_error","nodeid":FILE,"message":…}  (setup_all failed)  {"e":"session_finish"}
#
# Every line starts with the run's key (GATEUI_EVENTS_KEY) and a space: gateui ignores lines
# without it. Both variables are taken out of the environment when the formatter starts, so a
# `mix test` or pytest that a test starts does not report into this run.
#
# Node ids are `test/smoke/basic_test.exs::describe::name` relative to the project root (the
# describe part only inside a describe block). It depends on the standard library and ExUnit
# only (Elixir 1.13+: no JSON module there, so it encodes its own).
defmodule GateuiFormatter do
  @moduledoc false
  use GenServer

  # Keys ExUnit puts in every test's tags, and per-test settings that are not kinds of test.
  @reserved [
    :async,
    :case,
    :capture_log,
    :describe,
    :describe_line,
    :file,
    :line,
    :module,
    :registered,
    :report,
    :test,
    :test_type,
    :timeout,
    :tmp_dir
  ]

  @impl true
  def init(_opts) do
    channel = System.get_env("GATEUI_EVENTS")
    key = System.get_env("GATEUI_EVENTS_KEY") || ""
    System.delete_env("GATEUI_EVENTS")
    System.delete_env("GATEUI_EVENTS_KEY")

    device =
      case channel do
        nil -> nil
        "" -> nil
        path -> File.open!(path, [:append, :binary])
      end

    prefix = if key == "", do: "", else: key <> " "
    {:ok, %{device: device, prefix: prefix, root: File.cwd!(), started: %{}, failures: 0}}
  end

  @impl true
  def handle_cast({:suite_started, _opts}, state) do
    send_event(state, %{
      "e" => "session_start",
      "rootdir" => state.root,
      "runner" => "exunit",
      "python_version" => "Elixir " <> System.version(),
      "registered_markers" => []
    })

    {:noreply, state}
  end

  def handle_cast({:test_started, %ExUnit.Test{state: nil} = test}, state) do
    tags = user_tags(test.tags)
    send_event(state, Map.put(location(test, state), "e", "test_start"))
    {:noreply, %{state | started: Map.put(state.started, {test.module, test.name}, tags)}}
  end

  def handle_cast({:test_finished, %ExUnit.Test{} = test}, state) do
    {tags, started} = Map.pop(state.started, {test.module, test.name})
    state = %{state | started: started}

    case outcome(test) do
      nil ->
        # Excluded by a filter: not part of this run (as pytest's deselected tests).
        {:noreply, state}

      {outcome, text} ->
        event =
          test
          |> location(state)
          |> Map.merge(%{
            "e" => "test",
            "outcome" => outcome,
            "duration_s" => test.time / 1_000_000,
            "markers" => tags || user_tags(test.tags),
            "longrepr" => text
          })

        send_event(state, event)
        failures = if outcome in ["failed", "error"], do: state.failures + 1, else: state.failures
        {:noreply, %{state | failures: failures}}
    end
  end

  def handle_cast({:module_finished, %ExUnit.TestModule{state: {:failed, failures}} = module}, state) do
    # setup_all failed: its tests are reported as errors; the module's own failure is here.
    text = ExUnit.Formatter.format_test_all_failure(module, failures, 1, 80, &plain/2)
    file = Path.relative_to(module.file || "", state.root)
    send_event(state, %{"e" => "collect_error", "nodeid" => file, "message" => text})
    {:noreply, state}
  end

  def handle_cast({:suite_finished, times}, state) do
    run_us =
      case times do
        %{run: run} -> run
        {run, _load} when is_integer(run) -> run
        _ -> 0
      end

    send_event(state, %{
      "e" => "session_finish",
      "exitstatus" => if(state.failures > 0, do: 2, else: 0),
      "duration_s" => run_us / 1_000_000
    })

    {:noreply, state}
  end

  def handle_cast(_event, state), do: {:noreply, state}

  defp outcome(%ExUnit.Test{state: nil}), do: {"passed", ""}

  defp outcome(%ExUnit.Test{state: {:failed, failures}} = test),
    do: {"failed", ExUnit.Formatter.format_test_failure(test, failures, 1, 80, &plain/2)}

  defp outcome(%ExUnit.Test{state: {:skipped, reason}}), do: {"skipped", to_text(reason)}
  defp outcome(%ExUnit.Test{state: {:excluded, _reason}}), do: nil

  defp outcome(%ExUnit.Test{state: {:invalid, module}}),
    do: {"error", "setup_all failed in #{inspect(module_name(module))}"}

  defp outcome(%ExUnit.Test{state: other}), do: {"error", inspect(other)}

  defp module_name(%{name: name}), do: name
  defp module_name(name), do: name

  defp plain(:diff_enabled?, _default), do: false
  defp plain(_key, message), do: message

  defp location(test, state) do
    file = Path.relative_to(test.tags[:file] || "", state.root)
    type = Atom.to_string(test.tags[:test_type] || :test)
    name = test.name |> Atom.to_string() |> strip_prefix(type <> " ")
    describe = test.tags[:describe]

    {parts, name} =
      if is_binary(describe),
        do: {[file, describe], strip_prefix(name, describe <> " ")},
        else: {[file], name}

    %{"nodeid" => Enum.join(parts ++ [name], "::"), "path" => file, "line" => test.tags[:line]}
  end

  defp strip_prefix(text, prefix) do
    if String.starts_with?(text, prefix),
      do: binary_part(text, byte_size(prefix), byte_size(text) - byte_size(prefix)),
      else: text
  end

  defp user_tags(tags) do
    for {key, value} <- tags, key not in @reserved, value == true, do: Atom.to_string(key)
  end

  defp to_text(text) when is_binary(text), do: text
  defp to_text(other), do: inspect(other)

  defp send_event(%{device: nil}, _event), do: :ok
  defp send_event(%{device: device, prefix: prefix}, event),
    do: IO.binwrite(device, [prefix, json(event), ?\n])

  # -- a small JSON encoder (strings, numbers, booleans, nil, lists, maps) -----------------------
  defp json(nil), do: "null"
  defp json(true), do: "true"
  defp json(false), do: "false"
  defp json(value) when is_integer(value), do: Integer.to_string(value)
  defp json(value) when is_float(value), do: :erlang.float_to_binary(value, [:short])
  defp json(value) when is_atom(value), do: json(Atom.to_string(value))
  defp json(value) when is_binary(value), do: [?", escape(value, []), ?"]
  defp json(value) when is_list(value), do: [?[, Enum.map_intersperse(value, ?,, &json/1), ?]]

  defp json(value) when is_map(value) do
    pairs = Enum.map_intersperse(value, ?,, fn {k, v} -> [json(to_string(k)), ?:, json(v)] end)
    [?{, pairs, ?}]
  end

  defp json(value), do: json(inspect(value))

  defp escape(<<>>, acc), do: Enum.reverse(acc)
  defp escape(<<?", rest::binary>>, acc), do: escape(rest, ["\\\"" | acc])
  defp escape(<<?\\, rest::binary>>, acc), do: escape(rest, ["\\\\" | acc])
  defp escape(<<?\n, rest::binary>>, acc), do: escape(rest, ["\\n" | acc])
  defp escape(<<?\r, rest::binary>>, acc), do: escape(rest, ["\\r" | acc])
  defp escape(<<?\t, rest::binary>>, acc), do: escape(rest, ["\\t" | acc])

  defp escape(<<char, rest::binary>>, acc) when char < 0x20,
    do: escape(rest, [:io_lib.format("\\u~4.16.0b", [char]) | acc])

  defp escape(<<char, rest::binary>>, acc), do: escape(rest, [char | acc])
end
