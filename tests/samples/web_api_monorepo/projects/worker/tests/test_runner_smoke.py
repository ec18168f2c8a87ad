import pytest

from worker import Job, JobRunner


@pytest.fixture
def runner():
    return JobRunner(sleep=lambda _seconds: None)


@pytest.mark.smoke
def test_successful_job(runner):
    job = runner.run(Job("ping", lambda: "pong"))

    assert job.state == "succeeded"
    assert job.result == "pong"
    assert job.attempts == 1


@pytest.mark.smoke
def test_flaky_job_is_retried_until_it_succeeds(runner):
    outcomes = iter([ConnectionError("reset"), ConnectionError("reset"), "ok"])

    def flaky():
        value = next(outcomes)
        if isinstance(value, Exception):
            raise value
        return value

    job = runner.run(Job("sync", flaky))

    assert job.state == "succeeded"
    assert job.attempts == 3
    assert runner.slept == [0.5, 1.0]
