"""Configuration from the environment: what a deployment sets without writing Python."""
import json

from app.config import from_environment


def test_directory_settings_come_from_the_json_file_named_in_the_environment(tmp_path, monkeypatch):
    settings = {"url": "ldaps://dc1.kommune.example", "user_base": "ou=people,dc=kommune,dc=example",
                "groups": {"cn=abh,ou=groups,dc=kommune,dc=example":
                           {"municipality": "musterstadt", "office": "Ausländerbehörde", "role": "clerk"}}}
    path = tmp_path / "ldap.json"
    path.write_text(json.dumps(settings), encoding="utf-8")
    monkeypatch.setenv("LOTSE_LDAP_CONFIG", str(path))
    assert from_environment(str(tmp_path))["LDAP"] == settings


def test_without_the_variable_there_is_no_directory_sign_in(tmp_path, monkeypatch):
    monkeypatch.delenv("LOTSE_LDAP_CONFIG", raising=False)
    assert "LDAP" not in from_environment(str(tmp_path))
