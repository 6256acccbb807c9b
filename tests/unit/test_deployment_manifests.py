"""The deployment files (Dockerfile, docker-compose.yml, deploy/k8s/) agree with the program they run.

Each check is a function that returns its problems as lines of text, so each is tested once on the
real files and once on a bad snippet that it must reject.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from consumers.cli import parser
from sync_core.config import _SECRETS, ENV_PREFIX, RuntimeConfig

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
K8S = ROOT / "deploy" / "k8s"
SOURCES = ("sync_core", "consumers", "sandbox")
HTTP_PORT = RuntimeConfig.model_fields["http_port"].default
SECRET_MODE = 0o400
WORKLOADS = ("Deployment", "Job", "CronJob")
ROLES = (["db", "migrate"], ["run", "--side", "push"], ["run", "--side", "pull"], ["pull", "daily"])
_READS = re.compile(r"""os\.(?:environ\.get\(|environ\[|getenv\()\s*["'](PICS_SYNC_\w+)["']""")
_VARIABLE = re.compile(r"PICS_SYNC_\w+")


def load(path: Path) -> list[dict[str, Any]]:
    """The YAML documents of one file, empty ones left out."""
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def k8s_documents() -> list[tuple[str, dict[str, Any]]]:
    """Every Kubernetes document, labelled by file and name."""
    return [
        (f"{path.name}:{doc.get('metadata', {}).get('name', doc.get('kind', '?'))}", doc)
        for path in sorted(K8S.glob("*.yaml"))
        for doc in load(path)
    ]


def compose_services() -> dict[str, dict[str, Any]]:
    """The services of docker-compose.yml, anchors and merge keys resolved."""
    services: dict[str, dict[str, Any]] = load(COMPOSE)[0]["services"]
    return services


def variables_read_in(source: str) -> set[str]:
    """The PICS_SYNC_* names a piece of Python reads straight from the environment."""
    return set(_READS.findall(source))


def known_variables() -> set[str]:
    """Every PICS_SYNC_* variable the program reads: config fields, secret files, and direct reads."""
    fields = {ENV_PREFIX + name.upper() for name in RuntimeConfig.model_fields}
    files = {f"{ENV_PREFIX}{name.upper()}_FILE" for name in _SECRETS}
    sources = (path.read_text(encoding="utf-8") for folder in SOURCES for path in (ROOT / folder).rglob("*.py"))
    return fields | files | set().union(*map(variables_read_in, sources))


def variables_set(tree: Any) -> Iterator[str]:
    """Every PICS_SYNC_* name a manifest sets: a mapping key, an env entry's name, or a NAME=value item."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if isinstance(key, str) and _VARIABLE.fullmatch(key):
                yield key
            if key == "name" and isinstance(value, str) and _VARIABLE.fullmatch(value):
                yield value
            yield from variables_set(value)
    elif isinstance(tree, list):
        for item in tree:
            if isinstance(item, str) and _VARIABLE.fullmatch(item.partition("=")[0]):
                yield item.partition("=")[0]
            yield from variables_set(item)


def unknown_variables(tree: Any, known: set[str]) -> list[str]:
    """The PICS_SYNC_* names set in ``tree`` that the program never reads."""
    return sorted(f"{name} is read by nothing" for name in set(variables_set(tree)) - known)


def cli_problems(argv: list[str]) -> list[str]:
    """Empty if ``pics-sync <argv>`` is accepted by the real command line; argparse's error otherwise."""
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            parser().parse_args(argv)
    except SystemExit:
        return [f"pics-sync {shlex.join(argv)}: {stderr.getvalue().strip().splitlines()[-1]}"]
    return []


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    """The pod template's spec of a Deployment, Job or CronJob."""
    spec = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
    pod: dict[str, Any] = spec["template"]["spec"]
    return pod


def k8s_containers() -> list[tuple[str, dict[str, Any]]]:
    """Every container (init containers too) of every workload, labelled by file, workload and name."""
    return [
        (f"{label}:{container['name']}", container)
        for label, doc in k8s_documents()
        if doc.get("kind") in WORKLOADS
        for container in pod_spec(doc)["containers"] + pod_spec(doc).get("initContainers", [])
    ]


def is_pics_sync(image: str) -> bool:
    """Whether an image reference names the pics-sync image, whatever its registry and tag."""
    return image.rpartition("/")[2].partition("@")[0].partition(":")[0] == "pics-sync"


def words(part: str | list[Any] | None) -> list[str]:
    """A compose or Kubernetes command, string or list, as a list of words."""
    return shlex.split(part) if isinstance(part, str) else [str(word) for word in part or []]


def argv(entrypoint: str | list[Any] | None, command: str | list[Any] | None) -> list[str]:
    """What follows ``pics-sync``; an entry point naming another program is kept whole, so the CLI refuses it."""
    program, rest = words(entrypoint) or ["pics-sync"], words(command)
    return [*program[1:], *rest] if Path(program[0]).name == "pics-sync" else [*program, *rest]


def pics_sync_commands() -> list[tuple[str, list[str]]]:
    """Every pics-sync command line a container runs, labelled by where it is set."""
    compose = [
        (f"compose:{name}", argv(svc.get("entrypoint"), svc.get("command")))
        for name, svc in compose_services().items()
        if "build" in svc or is_pics_sync(svc.get("image", ""))
    ]
    k8s = [(where, argv(c.get("command"), c.get("args"))) for where, c in k8s_containers() if is_pics_sync(c["image"])]
    return compose + k8s


def probe_port(container: dict[str, Any], probe: dict[str, Any]) -> Any:
    """The container port a probe's httpGet reaches, named ports resolved."""
    port = probe.get("httpGet", {}).get("port")
    named = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    return named.get(port, port)


def deployment_problems(doc: dict[str, Any]) -> list[str]:
    """What a Deployment lacks: probes on the HTTP port, resource limits, non-root, a grace period."""
    pod = pod_spec(doc)
    problems = [] if pod.get("securityContext", {}).get("runAsNonRoot") else ["pod may run as root"]
    if "terminationGracePeriodSeconds" not in pod:
        problems.append("no terminationGracePeriodSeconds")
    for container in pod["containers"]:
        for kind, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            probe = container.get(kind, {})
            if probe.get("httpGet", {}).get("path") != path or probe_port(container, probe) != HTTP_PORT:
                problems.append(f"{container['name']}: {kind} is not GET {path} on port {HTTP_PORT}")
        limits = container.get("resources", {}).get("limits", {})
        if not {"cpu", "memory"} <= limits.keys():
            problems.append(f"{container['name']}: no cpu and memory limits")
    return problems


def pod_hardening_problems(doc: dict[str, Any]) -> list[str]:
    """What a workload's pod gives away: the service-account token, or secret files others may read."""
    pod = pod_spec(doc)
    problems = [] if pod.get("automountServiceAccountToken") is False else ["automountServiceAccountToken is not false"]
    secrets = [volume for volume in pod.get("volumes", []) if "secret" in volume]
    for volume in secrets:
        mode = volume["secret"].get("defaultMode")
        if mode != SECRET_MODE:
            problems.append(
                f"secret volume {volume['name']}: defaultMode {mode if mode is None else oct(mode)}, not 0400"
            )
    context = pod.get("securityContext", {})
    if secrets and context.get("runAsUser", 0) != 0 and context.get("fsGroup") != context.get("runAsGroup"):
        problems.append("non-root with 0400 secrets but no fsGroup equal to runAsGroup: the files are unreadable")
    return problems


def peer_problems(peer: dict[str, Any]) -> list[str]:
    """A NetworkPolicy peer must name both a namespace and a pod by label; an IP block or a bare selector is wide."""
    if "ipBlock" in peer:
        return ["an ipBlock peer admits whatever sits behind those addresses"]
    narrowed = [key for key in ("namespaceSelector", "podSelector") if (peer.get(key) or {}).get("matchLabels")]
    return [] if len(narrowed) == 2 else [f"peer {peer} does not name both a namespace and a pod by label"]


def network_policy_problems(docs: list[dict[str, Any]]) -> list[str]:
    """Every workload's pods are selected by an Ingress policy that admits two peers (scraper, ingress) on the HTTP port only."""
    policies = [d for d in docs if d.get("kind") == "NetworkPolicy" and "Ingress" in d["spec"].get("policyTypes", [])]
    if not policies:
        return ["no NetworkPolicy restricts ingress"]
    problems = []
    for doc in (d for d in docs if d.get("kind") in WORKLOADS):
        labels = pod_template(doc)["metadata"].get("labels", {})
        wanted = [p["spec"]["podSelector"].get("matchLabels", {}) for p in policies]
        if not any(selector and selector.items() <= labels.items() for selector in wanted):
            problems.append(f"{doc['metadata']['name']}: no NetworkPolicy selects its pods")
    for policy in policies:
        problems += [f"{policy['metadata']['name']}: {problem}" for problem in ingress_rule_problems(policy)]
    return problems


def ingress_rule_problems(policy: dict[str, Any]) -> list[str]:
    """Each rule admits named peers on the HTTP port only; in all, exactly two peers."""
    rules, problems = policy["spec"].get("ingress", []), []
    for rule in rules:
        if not rule.get("from"):
            problems.append("a rule with no `from` admits every source")
        ports = [(p.get("protocol", "TCP"), p.get("port")) for p in rule.get("ports", [])]
        if ports != [("TCP", HTTP_PORT)]:
            problems.append(f"a rule admits ports {ports or 'all'}, not only TCP {HTTP_PORT}")
        problems += [problem for peer in rule.get("from", []) for problem in peer_problems(peer)]
    if sum(len(rule.get("from", [])) for rule in rules) != 2:
        problems.append("admits other than exactly two peers: the metrics scraper and the ingress")
    return problems


def kustomization_problems(listed: list[str], files: list[str]) -> list[str]:
    """Every manifest but the example Secret is applied by ``kubectl apply -k``; nothing listed is missing."""
    wanted = set(files) - {"kustomization.yaml", "secret.example.yaml"}
    return [f"{name} is not in kustomization.yaml" for name in sorted(wanted - set(listed))] + [
        f"kustomization.yaml lists {name}, which does not exist" for name in sorted(set(listed) - set(files))
    ]


def pod_template(doc: dict[str, Any]) -> dict[str, Any]:
    """The pod template (metadata and spec) of a Deployment, Job or CronJob."""
    spec = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
    template: dict[str, Any] = spec["template"]
    return template


def compose_problems(services: dict[str, dict[str, Any]]) -> list[str]:
    """Services neither health-checked nor one-shot, and waits on a health no one reports."""
    one_shot = {
        name
        for svc in services.values()
        for name, wait in (svc.get("depends_on") or {}).items()
        if wait.get("condition") == "service_completed_successfully"
    }
    checked = {name for name, svc in services.items() if "test" in svc.get("healthcheck", {})}
    problems = [f"{name}: no healthcheck and not one-shot" for name in services.keys() - checked - one_shot]
    for name, svc in services.items():
        for target, wait in (svc.get("depends_on") or {}).items():
            if wait.get("condition") == "service_healthy" and target not in checked:
                problems.append(f"{name}: waits for {target} to be healthy, which it never reports")
        problems += [f"{name}: {problem}" for problem in healthz_problems(svc)]
    return sorted(problems)


def healthz_problems(service: dict[str, Any]) -> list[str]:
    """A service that serves pics-sync's HTTP (it sets PICS_SYNC_HTTP_HOST) must be checked on /healthz."""
    if "PICS_SYNC_HTTP_HOST" not in set(variables_set(service.get("environment", {}))):
        return []
    test = str(service.get("healthcheck", {}).get("test"))
    return (
        [] if f"127.0.0.1:{HTTP_PORT}/healthz" in test else [f"healthcheck does not ask /healthz on port {HTTP_PORT}"]
    )


def image_problems(image: str) -> list[str]:
    """An image without an exact tag (or digest) can change under us."""
    tag = image.rpartition("/")[2].partition(":")[2]
    return [] if "@sha256:" in image or tag not in ("", "latest") else [f"{image}: not pinned to a tag"]


def dockerfile_problems(text: str) -> list[str]:
    """A base image not pinned, a final user that is root, or an entry point other than pics-sync."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    pairs = [(word.upper(), rest.strip()) for word, _, rest in (line.partition(" ") for line in lines)]
    stages = {rest.split()[-1] for word, rest in pairs if word == "FROM" and rest.upper().split()[1:2] == ["AS"]}
    bases = [rest.split()[0] for word, rest in pairs if word == "FROM" and rest.split()[0] not in stages]
    users = [rest for word, rest in pairs if word == "USER"] or ["root"]
    entrypoints = [rest for word, rest in pairs if word == "ENTRYPOINT"] or ["none"]
    problems = [problem for base in bases for problem in image_problems(base)] if bases else ["no FROM"]
    if users[-1].split(":")[0] in ("root", "0"):
        problems.append("runs as root")
    if entrypoints[-1] != '["pics-sync"]':
        problems.append(f"ENTRYPOINT is {entrypoints[-1]}, not pics-sync")
    return problems


def all_images() -> list[str]:
    """Every image a compose service or a Kubernetes container names."""
    compose = [svc["image"] for svc in compose_services().values() if "image" in svc]
    return compose + [container["image"] for _, container in k8s_containers()]


def dockerfile(base: str = "python:3.11.14-slim", user: str = "10001", entrypoint: str = '["pics-sync"]') -> str:
    """A small Dockerfile to feed the checker, good unless told otherwise."""
    return f"FROM {base}\n" + (f"USER {user}\n" if user else "") + f"ENTRYPOINT {entrypoint}\n"


POD_LABELS = {"app.kubernetes.io/name": "pics-sync"}
SCRAPER = {
    "namespaceSelector": {"matchLabels": {"ns": "monitoring"}},
    "podSelector": {"matchLabels": {"app": "prometheus"}},
}
INGRESS = {"namespaceSelector": {"matchLabels": {"ns": "ingress"}}, "podSelector": {"matchLabels": {"app": "ingress"}}}
_UNSET: Any = object()


def workload(automount: Any = False, mode: Any = SECRET_MODE, fs_group: Any = 10001) -> dict[str, Any]:
    """A small Deployment to feed the pod and policy checkers, good unless told otherwise (None: left out)."""
    secret = {"secretName": "s"} | ({} if mode is None else {"defaultMode": mode})
    context = {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001} | (
        {} if fs_group is None else {"fsGroup": fs_group}
    )
    spec = {"securityContext": context, "containers": [], "volumes": [{"name": "secrets", "secret": secret}]}
    if automount is not None:
        spec["automountServiceAccountToken"] = automount
    template = {"metadata": {"labels": {**POD_LABELS, "component": "push"}}, "spec": spec}
    return {"kind": "Deployment", "metadata": {"name": "w"}, "spec": {"template": template}}


def policy(selector: Any = _UNSET, peers: Any = _UNSET, ports: Any = _UNSET) -> dict[str, Any]:
    """A small NetworkPolicy, good unless told otherwise."""
    rule = {"from": [SCRAPER, INGRESS] if peers is _UNSET else peers,
            "ports": [{"protocol": "TCP", "port": HTTP_PORT}] if ports is _UNSET else ports}  # fmt: skip
    spec = {"podSelector": {"matchLabels": POD_LABELS if selector is _UNSET else selector},
            "policyTypes": ["Ingress"], "ingress": [rule]}  # fmt: skip
    return {"kind": "NetworkPolicy", "metadata": {"name": "p"}, "spec": spec}


def unread(tree: Any) -> list[str]:
    """``unknown_variables`` against what the program reads."""
    return unknown_variables(tree, known_variables())


def test_dockerfile_is_pinned_non_root_and_runs_pics_sync() -> None:
    """The image starts from a pinned base, ends as a non-root user and runs pics-sync."""
    assert dockerfile_problems((ROOT / "Dockerfile").read_text(encoding="utf-8")) == []
    assert dockerfile_problems(dockerfile()) == []  # the good snippet the bad ones below vary


@pytest.mark.parametrize("argv", [pytest.param(argv, id=where) for where, argv in pics_sync_commands()])
def test_every_container_command_parses(argv: list[str]) -> None:
    """Each pics-sync command a container runs is accepted by the real CLI parser."""
    assert cli_problems(argv) == []


@pytest.mark.parametrize("stack", ["compose", "k8s"])
def test_each_stack_runs_every_role(stack: str) -> None:
    """Compose and Kubernetes each migrate, push, run the updaters and run the daily pull."""
    argvs = [argv for where, argv in pics_sync_commands() if where.startswith("compose:") == (stack == "compose")]
    assert [role for role in ROLES if not any(argv[: len(role)] == role for argv in argvs)] == []


def test_a_command_is_read_after_the_entrypoint() -> None:
    """A string command is split; an entry point other than pics-sync reaches the CLI check and fails it."""
    assert argv("/usr/local/bin/pics-sync", "run --side push") == ["run", "--side", "push"]
    assert cli_problems(argv(["sh", "-c"], ["pics-sync run"]))


def test_every_variable_set_is_read() -> None:
    """Every PICS_SYNC_* variable the manifests set is one the program reads."""
    trees = [load(COMPOSE), *(doc for _, doc in k8s_documents())]
    assert [problem for tree in trees for problem in unread(tree)] == []
    assert set(variables_set(trees)) >= {"PICS_SYNC_HTTP_HOST", "PICS_SYNC_DATABASE_URL_FILE"}


def test_direct_environment_reads_are_collected() -> None:
    """A PICS_SYNC_* name read with os.environ or os.getenv counts as known."""
    source = 'a = os.environ.get("PICS_SYNC_A")\nb = os.environ["PICS_SYNC_B"]\nc = os.getenv("PICS_SYNC_C")'
    assert variables_read_in(source) == {"PICS_SYNC_A", "PICS_SYNC_B", "PICS_SYNC_C"}


@pytest.mark.parametrize(
    "doc", [pytest.param(doc, id=label) for label, doc in k8s_documents() if doc.get("kind") == "Deployment"]
)
def test_deployments_are_probed_limited_and_non_root(doc: dict[str, Any]) -> None:
    """Each Deployment has /healthz and /readyz probes on the HTTP port, limits, non-root and a grace period."""
    assert deployment_problems(doc) == []


@pytest.mark.parametrize(
    "doc", [pytest.param(doc, id=label) for label, doc in k8s_documents() if doc.get("kind") in WORKLOADS]
)
def test_pods_mount_no_api_token_and_secrets_owner_read_only(doc: dict[str, Any]) -> None:
    """Each workload's pod mounts no service-account token and its secret files 0400, readable by its own uid."""
    assert pod_hardening_problems(doc) == []


def test_network_policy_admits_only_scraper_and_ingress_on_the_http_port() -> None:
    """A NetworkPolicy selects every pics-sync pod and admits only the scraper and the ingress, on port 9400."""
    assert network_policy_problems([doc for _, doc in k8s_documents()]) == []


def test_kustomization_applies_every_manifest() -> None:
    """`kubectl apply -k deploy/k8s` applies every manifest here (the NetworkPolicy too) but the example Secret."""
    (kustomization,) = load(K8S / "kustomization.yaml")
    assert kustomization_problems(kustomization["resources"], [p.name for p in K8S.glob("*.yaml")]) == []


def test_compose_services_are_health_checked_or_one_shot() -> None:
    """Every compose service reports its health, or is a one-shot that others wait to complete."""
    assert compose_problems(compose_services()) == []


def test_images_are_pinned() -> None:
    """Every image compose or Kubernetes names carries an exact tag or a digest."""
    assert [problem for image in all_images() for problem in image_problems(image)] == []


def test_secret_example_holds_placeholders_only() -> None:
    """The example Secret holds CHANGE-ME placeholders, never a value someone could use."""
    (secret,) = load(K8S / "secret.example.yaml")
    assert all("CHANGE-ME" in value for value in secret["stringData"].values())


@pytest.mark.parametrize(
    ("check", "bad"),
    [
        pytest.param(dockerfile_problems, dockerfile(base="python:latest"), id="dockerfile-latest"),
        pytest.param(dockerfile_problems, dockerfile(base="python"), id="dockerfile-untagged"),
        pytest.param(dockerfile_problems, dockerfile(user=""), id="dockerfile-no-user"),
        pytest.param(dockerfile_problems, dockerfile(user="10001\nUSER 0:0"), id="dockerfile-root-last"),
        pytest.param(dockerfile_problems, dockerfile(entrypoint='["python"]'), id="dockerfile-entrypoint"),
        pytest.param(cli_problems, ["run", "--sides", "push"], id="cli-unknown-flag"),
        pytest.param(cli_problems, ["run", "--side", "both"], id="cli-bad-choice"),
        pytest.param(cli_problems, ["pull", "nightly"], id="cli-unknown-action"),
        pytest.param(cli_problems, ["pull", "daily", "--every", "1w"], id="cli-bad-value"),
        pytest.param(unread, {"data": {"PICS_SYNC_SA_PASSWRD": "x"}}, id="variable-configmap-typo"),
        pytest.param(unread, {"env": [{"name": "PICS_SYNC_SA_USERNAME_FILE"}]}, id="variable-not-a-secret-file"),
        pytest.param(unread, {"environment": ["PICS_SYNC_HTTP_ADDRESS=0.0.0.0"]}, id="variable-compose-list"),
        pytest.param(unread, {"stringData": {"PICS_SYNC_TOKEN": "x"}}, id="variable-secret-stringdata"),
        pytest.param(pod_hardening_problems, workload(automount=None), id="pod-token-mounted"),
        pytest.param(pod_hardening_problems, workload(mode=None), id="pod-secret-default-mode"),
        pytest.param(pod_hardening_problems, workload(mode=0o444), id="pod-secret-world-readable"),
        pytest.param(pod_hardening_problems, workload(fs_group=None), id="pod-secret-unreadable"),
        pytest.param(network_policy_problems, [workload()], id="netpol-none"),
        pytest.param(network_policy_problems, [workload(), policy(selector={"app": "other"})], id="netpol-misses-pods"),
        pytest.param(network_policy_problems, [workload(), policy(peers=[])], id="netpol-every-source"),
        pytest.param(network_policy_problems, [workload(), policy(ports=[])], id="netpol-every-port"),
        pytest.param(network_policy_problems, [workload(), policy(ports=[{"port": 9401}])], id="netpol-other-port"),
        pytest.param(network_policy_problems, [workload(), policy(peers=[SCRAPER])], id="netpol-one-peer"),
        pytest.param(
            network_policy_problems,
            [workload(), policy(peers=[SCRAPER, {"namespaceSelector": {"matchLabels": {"a": "b"}}}])],
            id="netpol-whole-namespace",
        ),
        pytest.param(
            network_policy_problems,
            [workload(), policy(peers=[SCRAPER, {"ipBlock": {"cidr": "0.0.0.0/0"}}])],
            id="netpol-ip-block",
        ),
        pytest.param(
            lambda listed: kustomization_problems(listed, ["a.yaml", "b.yaml"]), ["a.yaml"], id="kustomize-missing"
        ),
        pytest.param(
            lambda listed: kustomization_problems(listed, ["a.yaml"]), ["a.yaml", "gone.yaml"], id="kustomize-gone"
        ),
        pytest.param(image_problems, "postgres", id="image-untagged"),
        pytest.param(image_problems, "apache/kafka:latest", id="image-latest"),
        pytest.param(image_problems, "registry:5000/pics-sync", id="image-registry-port-untagged"),
    ],
)
def test_checker_rejects(check: Callable[[Any], list[str]], bad: Any) -> None:
    """Each checker reports a bad snippet, so the checks above cannot pass by checking nothing."""
    assert check(bad)


def test_hardening_checkers_pass_the_good_snippets() -> None:
    """The good workload and policy above pass, so each bad variation fails for its own reason."""
    assert pod_hardening_problems(workload()) == [] and network_policy_problems([workload(), policy()]) == []


def test_deployment_checker_reports_each_lack() -> None:
    """Root, no grace period, a probe on the wrong port, a missing probe and a missing limit: five problems."""
    container = {
        "name": "c",
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": HTTP_PORT + 1}},
        "resources": {"limits": {"cpu": "1"}},
    }
    doc = {"kind": "Deployment", "spec": {"template": {"spec": {"containers": [container]}}}}
    assert len(deployment_problems(doc)) == 5


def test_compose_checker_reports_each_lack() -> None:
    """A wrong /healthz port, two unchecked long-running services and a wait on an unchecked one: four problems."""
    services = {
        "a": {
            "environment": {"PICS_SYNC_HTTP_HOST": "0.0.0.0"},
            "healthcheck": {"test": ["CMD", "probe", "http://127.0.0.1:1/healthz"]},
        },
        "b": {"image": "x:1", "depends_on": {"c": {"condition": "service_healthy"}}},
        "c": {"image": "x:1", "depends_on": {"a": {"condition": "service_completed_successfully"}}},
    }
    assert len(compose_problems(services)) == 4
