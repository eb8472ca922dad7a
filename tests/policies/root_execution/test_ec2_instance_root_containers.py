import pytest

from policy_harness import UNKNOWN, b64, encrypted_secret, gzip_b64, messages, node_host_cloud_config, resource, secret, with_config

EC2_RULE = "aws-ec2-instance-disallow-root-containers"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
IMAGE = "public.ecr.aws/chainlink/chainlink:2.19.0"


def launch_template(user_data):
    return resource(LAUNCH_TEMPLATE, {"userData": user_data}, name="node-lt")


def ec2_findings(user_data) -> list[str]:
    return messages([launch_template(user_data)], EC2_RULE)


@pytest.mark.parametrize("command", [
    f"docker run --user 14933:14933 {IMAGE}",
    f"docker run -u 14933 {IMAGE}",
    f"docker run --user=chainlink {IMAGE}",
    f"docker run -u1000:1000 {IMAGE}",
    f"docker run -itd --rm -u 1000 -e LOG=debug --name cl {IMAGE}",
    f"podman run --user 1000:0 {IMAGE}",
    f"docker pull {IMAGE} && docker run --user 14933 {IMAGE}",
    f"echo not a command: docker run {IMAGE}",
    f"# docker run {IMAGE}",
])
def test_non_root_or_no_container_is_clean(command):
    assert ec2_findings(b64("#!/bin/bash\n" + command + "\n")) == []


@pytest.mark.parametrize("command, expected", [
    (f"docker run {IMAGE}", "names no --user"),
    (f"docker create {IMAGE}", "names no --user"),
    (f"podman run {IMAGE}", "names no --user"),
    (f"docker container run -d {IMAGE}", "names no --user"),
    (f"docker run -u 0:0 {IMAGE}", "runs as --user '0:0', which is root"),
    (f"docker run --user=root {IMAGE}", "runs as --user 'root', which is root"),
    (f"docker run --user root:chainlink {IMAGE}", "which is root"),
    (f"docker run -itu 0 {IMAGE}", "runs as --user '0', which is root"),
    (f"docker run --user= {IMAGE}", "which is root"),
    (f"sudo -u ec2-user docker run --user 0 {IMAGE}", "which is root"),
    (f"sh -c 'docker run {IMAGE}'", "names no --user"),
    (f"docker run --user $(id -u) {IMAGE}", "cannot be resolved"),
])
def test_root_or_missing_user_is_a_violation(command, expected):
    findings = ec2_findings(b64("#!/bin/bash\n" + command + "\n"))
    assert len(findings) == 1 and expected in findings[0], findings


def test_privileged_is_a_violation_whatever_the_user():
    findings = ec2_findings(b64(f"#!/bin/bash\ndocker run --privileged --user 14933 {IMAGE}\n"))
    assert findings == [f"user data: `docker run` of {IMAGE} uses --privileged, which gives the container root on the host"]


def test_root_image_tag_is_a_violation_even_with_a_user():
    findings = ec2_findings(b64("#!/bin/bash\ndocker run --user 14933 smartcontract/chainlink:1.13.0-root\n"))
    assert len(findings) == 1 and "image tag that runs as root" in findings[0]


def test_root_image_tag_pattern_comes_from_config():
    config = with_config({EC2_RULE: {"rootImageTagPattern": "-admin$"}})
    lt = launch_template(b64("#!/bin/bash\ndocker run --user 1 img:1.0-root\ndocker run --user 1 img:1.0-admin\n"))
    findings = messages([lt], EC2_RULE, config)
    assert len(findings) == 1 and "img:1.0-admin" in findings[0]


def test_user_from_a_variable_is_resolved_in_the_same_script():
    clean = "#!/bin/bash\nCL_UID=14933\ndocker run --user \"$CL_UID:$CL_UID\" img\n"
    root = "#!/bin/bash\nexport CL_UID=0\ndocker run --user \"${CL_UID}\" img\n"
    assert ec2_findings(b64(clean)) == []
    assert "which is root" in ec2_findings(b64(root))[0]


def test_line_continuations_join_one_command():
    assert ec2_findings(b64(f"#!/bin/bash\ndocker run \\\n  --rm \\\n  --user 14933 \\\n  {IMAGE}\n")) == []


ROOT_RUN = f"docker run -d {IMAGE}"


@pytest.mark.parametrize("encode", [lambda t: t, b64, gzip_b64], ids=["plain", "base64", "gzip+base64"])
def test_user_data_is_decoded_in_every_encoding(encode):
    assert len(ec2_findings(encode("#!/bin/bash\n" + ROOT_RUN + "\n"))) == 1


def test_instance_user_data_base64_field_is_read():
    instance = resource(INSTANCE, {"userDataBase64": gzip_b64("#!/bin/sh\n" + ROOT_RUN)})
    assert len(messages([instance], EC2_RULE)) == 1


def test_cloud_config_runcmd_strings_and_argv_lists():
    document = f"#cloud-config\nruncmd:\n  - [docker, run, --user, '0', {IMAGE}]\n  - {ROOT_RUN}\n"
    findings = ec2_findings(b64(document))
    assert len(findings) == 2


def test_cloud_config_write_files_systemd_unit_base64_encoded():
    unit = f"[Service]\nExecStart=/usr/bin/docker run --rm \\\n  {IMAGE} node start\n"
    document = (
        "#cloud-config\nwrite_files:\n  - path: /etc/systemd/system/chainlink.service\n"
        f"    encoding: b64\n    content: {b64(unit)}\n"
    )
    findings = ec2_findings(b64(document))
    assert len(findings) == 1 and "names no --user" in findings[0]


def test_mime_multipart_user_data_parts_are_read():
    document = (
        'Content-Type: multipart/mixed; boundary="B"\nMIME-Version: 1.0\n\n'
        '--B\nContent-Type: text/cloud-config; charset="us-ascii"\n\n#cloud-config\npackages: [docker]\n\n'
        '--B\nContent-Type: text/x-shellscript; charset="us-ascii"\nContent-Transfer-Encoding: base64\n\n'
        f"{b64('#!/bin/bash' + chr(10) + ROOT_RUN + chr(10))}\n--B--\n"
    )
    assert len(ec2_findings(gzip_b64(document))) == 1


def test_our_node_host_cloud_config_is_clean():
    assert ec2_findings(b64(node_host_cloud_config())) == []


@pytest.mark.parametrize("user_data", [encrypted_secret(), UNKNOWN, None])
def test_encrypted_unknown_or_absent_user_data_cannot_be_judged(user_data):
    assert ec2_findings(user_data) == []


def test_secret_wrapped_user_data_with_plaintext_is_judged_as_the_engine_judges_it():
    """The engine's policy SDK unwraps secrets; a wrapper with the plaintext on hand is no excuse."""
    assert ec2_findings(secret(b64(ROOT_RUN))) == ec2_findings(b64(ROOT_RUN)) != []


# --- Compose files, quadlet units, Dockerfiles written by the user data -----------

def cloud_config_writing(path: str, content: str, runcmd: str = "") -> str:
    indented = "\n".join("      " + line for line in content.splitlines())
    return f"#cloud-config\nwrite_files:\n  - path: {path}\n    content: |\n{indented}\nruncmd:\n  - {runcmd or 'true'}\n"


@pytest.mark.parametrize("service, expected", [
    ('    image: img\n    user: "0:0"', "user data: `compose service 'node'` of img runs as `user` '0:0', which is root"),
    ("    image: img\n    user: root", "user data: `compose service 'node'` of img runs as `user` 'root', which is root"),
    ("    image: img", "user data: `compose service 'node'` of img names no `user`, so it runs as the image's user, taken as root"),
])
def test_compose_services_run_as_root_are_violations(service, expected):
    compose = f"services:\n  node:\n{service}\n"
    assert ec2_findings(b64(cloud_config_writing("/opt/node/compose.yaml", compose, "docker compose up -d"))) == [expected]


def test_compose_written_by_a_heredoc_is_read_too():
    script = "#!/bin/bash\ncat > /opt/compose.yaml <<'EOF'\nservices:\n  node:\n    image: img\n    user: \"0\"\nEOF\ndocker compose -f /opt/compose.yaml up -d\n"
    assert ec2_findings(b64(script)) == ["user data: `compose service 'node'` of img runs as `user` '0', which is root"]


def test_compose_service_with_a_non_root_user_is_clean():
    compose = 'services:\n  node:\n    image: img\n    user: "14933:14933"\n'
    assert ec2_findings(b64(cloud_config_writing("/opt/node/compose.yaml", compose))) == []


@pytest.mark.parametrize("unit, expected", [
    ("[Container]\nImage=img\nUser=0\n", ["user data: `quadlet [Container]` of img runs as `User=` '0', which is root"]),
    ("[Unit]\nDescription=node\n[Container]\nImage=img\n",
     ["user data: `quadlet [Container]` of img names no `User=`, so it runs as the image's user, taken as root"]),
    ("[Container]\nImage=img\nUser=14933\n", []),
])
def test_quadlet_units(unit, expected):
    assert ec2_findings(b64(cloud_config_writing("/etc/containers/systemd/node.container", unit))) == expected


def dockerfile_user_data(last_user: str) -> str:
    dockerfile = f"FROM public.ecr.aws/chainlink/chainlink:2.29.0\nUSER root\nRUN apt-get update\nUSER {last_user}\n"
    return cloud_config_writing("/opt/node/Dockerfile", dockerfile,
                                "docker build -t local/node:1 /opt/node && docker run -d local/node:1")


def test_an_image_built_here_with_a_non_root_last_user_needs_no_user_flag():
    assert ec2_findings(b64(dockerfile_user_data("chainlink"))) == []


@pytest.mark.parametrize("last_user", ["root", "0:0"])
def test_an_image_built_here_that_ends_as_root_is_still_root(last_user):
    assert ec2_findings(b64(dockerfile_user_data(last_user))) == [
        "user data: `docker run` of local/node:1 names no --user, so it runs as the image's user, taken as root"]
