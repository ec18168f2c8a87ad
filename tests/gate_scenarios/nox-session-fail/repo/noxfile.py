import nox


@nox.session(venv_backend="none")
def tests(session):
    session.run("pytest", "-q", "tests")
