"""End-to-end tests, one class per requirement (E2E-01 .. E2E-04)."""

import json

import pytest

from orchestrator import ConfigNotFound, discover_config

pytestmark = pytest.mark.e2e


@pytest.mark.e2e_01
class TestE2E01RequestFlow:
    def test_deploy_request_completes(self, orchestrator, executor):
        result = orchestrator.handle("Deploy billing to production")

        assert result.status == "completed"
        assert result.steps_run == [
            "deploy:billing:pull",
            "deploy:billing:migrate",
            "deploy:billing:release",
            "deploy:billing:verify",
        ]
        assert executor.commands[0] == ("pull", "registry.local/billing:2.4.1")

    def test_explicit_version_wins(self, orchestrator, executor):
        orchestrator.handle("deploy search to staging version 1.0.3")

        assert ("release", "search", "staging", "1.0.3") in executor.commands

    def test_request_ids_are_unique(self, orchestrator):
        ids = {orchestrator.handle("status of billing").request_id for _ in range(3)}

        assert len(ids) == 3

    def test_unknown_service_is_rejected(self, orchestrator, executor):
        result = orchestrator.handle("deploy payroll")

        assert result.status == "rejected"
        assert "unknown service 'payroll'" in result.error
        assert executor.commands == []

    @pytest.mark.e2e_04
    def test_request_is_recorded_in_audit_trail(self, orchestrator):
        result = orchestrator.handle("rollback billing in staging")

        events = [e["event"] for e in orchestrator.audit.for_request(result.request_id)]
        assert events == [
            "received",
            "planned",
            "step_completed",
            "step_completed",
            "completed",
        ]


@pytest.mark.e2e_02
class TestE2E02ConfigDiscovery:
    def test_config_found_at_workspace_root(self, workspace):
        config = discover_config(workspace)

        assert config.path == (workspace / ".orchestrator" / "config.json").resolve()
        assert set(config.services) == {"billing", "search"}

    def test_config_found_from_nested_directory(self, workspace):
        config = discover_config(workspace / "services" / "billing", root=workspace)

        assert config.default_environment == "staging"

    def test_missing_config_is_reported(self, tmp_path):
        with pytest.raises(ConfigNotFound, match="no .orchestrator"):
            discover_config(tmp_path)

    def test_environment_override(self, workspace, monkeypatch):
        monkeypatch.setenv("ORCHESTRATOR_ENV", "production")

        assert discover_config(workspace).default_environment == "production"


class TestE2E03Execution:
    @pytest.mark.e2e_03
    def test_steps_run_in_plan_order(self, orchestrator, executor):
        orchestrator.handle("deploy billing")

        assert [c[0] for c in executor.commands] == ["pull", "migrate", "release", "healthcheck"]

    @pytest.mark.e2e_03
    def test_dry_run_executes_nothing(self, orchestrator, executor):
        result = orchestrator.handle("deploy billing", dry_run=True)

        assert result.status == "planned"
        assert executor.commands == []

    @pytest.mark.e2e_03
    def test_failing_step_stops_the_plan(self, orchestrator, executor):
        executor.fail_on = "migrate"

        result = orchestrator.handle("deploy billing to production")

        assert result.status == "failed"
        assert result.steps_run == ["deploy:billing:pull"]
        assert result.error == "deploy:billing:migrate: migrate exited with status 1"

    @pytest.mark.e2e_03
    def test_unknown_environment_is_rejected(self, orchestrator, executor):
        result = orchestrator.handle("deploy billing to qa")

        assert result.status == "rejected"
        assert executor.commands == []


class TestE2E04AuditTrail:
    @pytest.mark.e2e_04
    def test_audit_trail_is_hash_chained(self, orchestrator):
        orchestrator.handle("deploy billing")
        orchestrator.handle("deploy nothing-here")

        entries = orchestrator.audit.entries()
        assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
        assert orchestrator.audit.verify()

    @pytest.mark.e2e_04
    def test_tampering_is_detected(self, orchestrator):
        orchestrator.handle("status billing")
        path = orchestrator.audit.path
        lines = path.read_text().splitlines()
        first = json.loads(lines[0])
        first["text"] = "status search"
        lines[0] = json.dumps(first, sort_keys=True)
        path.write_text("\n".join(lines) + "\n")

        assert not orchestrator.audit.verify()
