defmodule TaskQueue.MixProject do
  use Mix.Project

  def project do
    [
      app: :task_queue,
      version: "0.1.0",
      elixir: "~> 1.14",
      elixirc_paths: elixirc_paths(Mix.env()),
      start_permanent: Mix.env() == :prod,
      deps: deps()
    ]
  end

  def application do
    [extra_applications: [:logger]]
  end

  # The smoke-test agent simulator is compiled in the test environment only.
  defp elixirc_paths(:test), do: ["lib", "test/smoke/helpers"]
  defp elixirc_paths(_), do: ["lib"]

  defp deps, do: []
end
