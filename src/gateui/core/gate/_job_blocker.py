"""Why a whole job cannot run here: service containers or a container without an engine that
answers, or a runner of another system (Windows, macOS)."""

from __future__ import annotations

from gateui.core.gate._container_engine import engine_text
from gateui.core.gate._expressions import Contexts, Unresolvable, substitute
from gateui.core.gate.workflows import Job


def job_blocker(job: Job, contexts: Contexts) -> tuple[str, str] | None:
    """Why a job cannot run here, and what would make it reproducible (None: it can)."""
    if job.services:
        names = ", ".join(str(n) for n in job.services)
        return (
            f"the job needs service containers ({names}); {engine_text()}",
            "declare the step with the services running locally in [tool.gateui.gate] steps",
        )
    if job.container:
        return (
            f"the job runs in a container; {engine_text()}",
            "declare the step in [tool.gateui.gate] steps to check it here",
        )
    runs_on = job.runs_on
    try:
        text = (
            " ".join(substitute(str(r), contexts) for r in runs_on)
            if isinstance(runs_on, list)
            else substitute(str(runs_on or ""), contexts)
        )
    except Unresolvable as exc:
        return f"runs-on needs {exc.what}, known only on the CI runner", ""
    lowered = text.lower()
    if ("windows" in lowered or "macos" in lowered) and "ubuntu" not in lowered:
        return f"the job runs on {text}", "check it on that system"
    return None
