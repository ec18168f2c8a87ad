from worker import Job, JobRunner, backoff_delays


def test_backoff_doubles_and_caps():
    assert backoff_delays(7, base=1.0, cap=20.0) == [1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 20.0]


def test_job_fails_after_max_retries():
    def always_fails():
        raise TimeoutError("upstream")

    runner = JobRunner(sleep=lambda _seconds: None)
    job = runner.run(Job("export", always_fails, max_retries=2))

    assert job.state == "failed"
    assert job.attempts == 3
    assert job.error == "TimeoutError: upstream"
