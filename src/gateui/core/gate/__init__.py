"""The PR gate: what CI would run for a pull request, run on the exact commit being pushed.

- ``model``: a gate (steps, thresholds) and how a step's run becomes a verdict.
- ``infer``: the gate, declared in ``[tool.gateui.gate]`` or read off CI workflows.
- ``workflows``: GitHub Actions workflow files read into typed structures.
- ``run``: the gate's steps run, each job in its own fresh checkout, as one stream of events.
- ``check``: one commit checked against its gate (what ``gateui gate`` and the hook share).
- ``sources``: a repository's files from a folder or straight from a commit.
- ``gitops``: the exact commit, and a throwaway worktree of it.
- ``hooks``: the pre-push hook: installing it safely, and what a push sends.
Private: ``_declared`` (``[tool.gateui.gate]``), ``_expressions`` (``${{ }}`` and ``if:``),
``_cache`` (verdicts per tree), ``_import_overlay`` (imports from the worktree, not the work tree),
``_job_checkouts`` (a fresh checkout per job, as on the runner).
"""
