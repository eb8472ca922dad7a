import pytest

from policy_harness import b64, encrypted_secret, gzip_b64, messages, node_host_cloud_config, resource, secret

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


USER_DATA_RULE = "aws-ec2-instance-disallow-plaintext-secrets"
LEAKED = "correct-horse-battery-staple"


def user_data_findings(user_data) -> list[str]:
    return messages([resource(LAUNCH_TEMPLATE, {"userData": user_data})], USER_DATA_RULE)


@pytest.mark.parametrize("script, expected", [
    (f"export DB_PASSWORD={LEAKED}", "user data contains a literal value for DB_PASSWORD"),
    (f'Environment="KEYSTORE_PASSWORD={LEAKED}"', "user data contains a literal value for KEYSTORE_PASSWORD"),
    (f"docker run -u 1 -e API_TOKEN='{LEAKED}' img", "user data contains a literal value for API_TOKEN"),
    (f"URL = 'postgresql://chainlink:{LEAKED}@db:5432/chainlink'", "user data contains a URL with a password"),
    (f"password: {LEAKED}", "user data contains a literal value for password"),
    (f'api_password = "{LEAKED}"', "user data contains a literal value for api_password"),
    ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "user data contains an AWS access key"),
    ("cat > /root/key <<EOF\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\nEOF", "user data contains a private key"),
])
def test_plaintext_secrets_in_user_data_are_violations(script, expected):
    for encode in (b64, gzip_b64):
        findings = user_data_findings(encode("#!/bin/bash\n" + script + "\n"))
        assert len(findings) == 1 and findings[0].startswith(expected), findings
        assert LEAKED not in findings[0]


@pytest.mark.parametrize("script", [
    "DB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id chainlink/db --query SecretString --output text)",
    "API_TOKEN=${API_TOKEN}",
    "DB_SECRET_ARN=arn:aws:secretsmanager:eu-west-1:111122223333:secret:chainlink/db-AbCdEf",
    "KEYSTORE_PASSWORD_FILE=/run/chainlink/keystore-password",
    'password: "{{resolve:secretsmanager:chainlink/db:SecretString:password}}"',
    "URL = 'postgresql://chainlink:${DB_PASSWORD}@db:5432/chainlink'",
    'TOKEN=$(curl -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 21600")',
    "LOG_LEVEL=debug",
    # code that handles secrets read at run time (e.g. an agent written by cloud-init)
    'password = secret["keystorePassword"]',
    'Keystore = "{password}"',
    "connection = connect(user=user, password=password)",
    "api_token = config.api_token",
    "password = keystore_password",
])
def test_references_to_secrets_are_clean(script):
    assert user_data_findings(b64("#!/bin/bash\n" + script + "\n")) == []


def test_secret_in_a_cloud_config_written_file_is_found():
    document = (
        "#cloud-config\nwrite_files:\n  - path: /etc/chainlink/secrets.toml\n    encoding: b64\n"
        f"    content: {b64('[Password]' + chr(10) + 'Keystore = ' + repr(LEAKED) + chr(10))}\n"
    )
    assert user_data_findings(b64(document)) == ["user data contains a literal value for Keystore"]


def test_prose_in_comments_is_not_an_assignment():
    script = "# The node never sees a secret: the agent reads it at start.\n# password: rotated monthly\n"
    assert user_data_findings(b64("#!/bin/bash\n" + script)) == []


def test_a_commented_out_literal_password_is_still_a_leak():
    findings = user_data_findings(b64(f"#!/bin/bash\n# export DB_PASSWORD={LEAKED}\n"))
    assert findings == ["user data contains a literal value for DB_PASSWORD"]


def test_our_node_host_cloud_config_has_no_plaintext_secret():
    assert user_data_findings(b64(node_host_cloud_config())) == []


def test_encrypted_user_data_cannot_be_scanned():
    assert user_data_findings(encrypted_secret()) == []


def test_secret_wrapped_user_data_is_scanned_as_the_engine_scans_it():
    """User data is readable by anyone with ec2:DescribeInstanceAttribute, wrapped or not."""
    assert user_data_findings(secret(b64(f"DB_PASSWORD={LEAKED}"))) == ["user data contains a literal value for DB_PASSWORD"]


GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
SLACK_WEBHOOK = "https://hooks.slack.com/services/T01ABCDEF/B01ABCDEF/abcdefghijklmnopqrstuvwx"


@pytest.mark.parametrize("script, expected", [
    (f"echo {GITHUB_TOKEN} | docker login ghcr.io -u ci --password-stdin", "a recognisable GitHub Token"),
    (f"curl -X POST -d '{{\"text\": \"up\"}}' {SLACK_WEBHOOK}", "a recognisable Slack Token"),
    (f"NOTIFY={SLACK_WEBHOOK}", "a recognisable Slack Token"),
])
def test_recognisable_tokens_under_harmless_names_are_found(script, expected):
    assert user_data_findings(b64("#!/bin/bash\n" + script)) == [f"user data contains {expected}"]


def test_a_token_read_at_run_time_is_a_reference_not_a_leak():
    script = "aws ssm get-parameter --name /ci/ghcr-token --with-decryption | docker login ghcr.io --password-stdin"
    assert user_data_findings(b64("#!/bin/bash\n" + script)) == []


def test_a_secret_arn_is_a_reference_though_it_has_a_token_shape():
    # Account id and secret name look like a Telegram bot token (digits:35 characters).
    arn = "arn:aws:secretsmanager:us-east-1:111111111111:chainlink-keystore-password-e9548f47"
    assert user_data_findings(b64(f'{{"keystorePassword": "{arn}"}}')) == []
    telegram = "1234567890:" + "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
    assert user_data_findings(b64(f"NOTIFY={telegram}")) == ["user data contains a recognisable Telegram Bot Token"]

@pytest.mark.parametrize("script, path", [
    (f"echo '{LEAKED}' > /chainlink/.keystore-password", "/chainlink/.keystore-password"),
    (f"echo -n {LEAKED} >> /etc/chainlink/password", "/etc/chainlink/password"),
    (f"printf '%s\\n' '{LEAKED}' > /chainlink/keystore.password", "/chainlink/keystore.password"),
    (f"echo {LEAKED} | sudo tee /chainlink/api-token", "/chainlink/api-token"),
    (f"cat > /chainlink/password.txt <<'EOF'\n{LEAKED}\nEOF", "/chainlink/password.txt"),
    (f"cat <<EOF > /chainlink/secret\n{LEAKED}\nEOF", "/chainlink/secret"),
    (f"tee /chainlink/keystore-password <<EOF\n{LEAKED}\nEOF", "/chainlink/keystore-password"),
])
def test_secrets_written_into_files_are_found(script, path):
    assert user_data_findings(b64("#!/bin/bash\n" + script + "\n")) == [f"user data contains a literal value written to {path}"]


@pytest.mark.parametrize("script", [
    'echo "$KEYSTORE_PASSWORD" > /chainlink/.keystore-password',
    "aws secretsmanager get-secret-value --secret-id x --query SecretString --output text > /chainlink/password",
    "printf '%s' \"$(aws ssm get-parameter --name /p --with-decryption)\" > /chainlink/password",
    "echo started > /var/log/boot.log",
    "cat > /chainlink/password <<EOF\n$KEYSTORE_PASSWORD\nEOF",
    "cat > /etc/app.conf <<EOF\nlog_level = info\nEOF",
])
def test_references_written_into_files_are_clean(script):
    assert user_data_findings(b64("#!/bin/bash\n" + script + "\n")) == []


def test_an_arn_with_an_account_id_is_not_a_token():
    """detect-secrets' Telegram pattern matches inside ARNs; the reference veto keeps them out."""
    arn = "arn:aws:sns:us-east-1:111111111111:chainlink-alarms-a868ff44-aaaaaaaaaaaaaaaa"
    assert user_data_findings(b64(f'#!/bin/bash\nALARM_TOPIC="{arn}"\n')) == []
    assert user_data_findings(b64("#!/bin/bash\nNOTIFY=1111111111:chainlink-alarms-a868ff44-aaaaaaaaa\n")) == [
        "user data contains a recognisable Telegram Bot Token"]
