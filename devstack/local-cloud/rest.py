"""REST calls of devstack/local-cloud.sh, made from one Python process each time.

The `openstack` CLI costs 1.5-2 s of start-up per command (RESEARCH.md), so the catalog, the test
assets and the readiness checks go straight to the APIs with the standard library. Every step
checks before it creates: a re-run must never duplicate a service or an endpoint.

    rest.py catalog                  service project, users, services and endpoints
    rest.py controller-user          the user Understudy's controller logs in as, with least
                                     privilege: roles service and understudy on the service project,
                                     $CONTROLLER_PASSWORD
    rest.py assets                   the flavor and image tests boot, Neutron's warm-up
    rest.py guest-images KERNEL RAMDISK DISK
                                     the tiny guest as images Nova boots on libvirt computes: the
                                     kernel, the ramdisk and the empty qcow2 DISK that names them;
                                     its flavor, and a larger one to resize it to
    rest.py computes-up [--since UTC] HOST...
                                     exit 0 when every HOST's nova-compute is up (and has reported
                                     since UTC, e.g. 2026-12-07T08:09:47)
    rest.py services                 print Nova's compute services
    rest.py token                    print a token of the admin (valid an hour), for curl

The admin comes from $OS_CLIENT_CONFIG_FILE (cloud "understudy"); service users get
$SERVICE_PASSWORD.
"""

import hashlib
import json
import os
import sys
import urllib.error
import urllib.request

import yaml

KEYSTONE = "http://127.0.0.1:5000/v3"
REGION = "RegionOne"
SERVICE_USERS = ("nova", "placement", "glance", "neutron")
ENDPOINTS = (
    ("nova", "compute", "http://127.0.0.1:8774/v2.1"),
    ("placement", "placement", "http://127.0.0.1:8778"),
    ("glance", "image", "http://127.0.0.1:9292"),
    ("neutron", "network", "http://127.0.0.1:9696"),
)
FLAVOR = {"name": "understudy.tiny", "ram": 64, "vcpus": 1, "disk": 1}
IMAGE_NAME = "understudy-tiny"
IMAGE_BYTES = 1024 * 1024
# The tiny guest (devstack/tiny-guest) on a real hypervisor: 128 MiB, as its own domains have.
GUEST_FLAVOR = {"name": "understudy.guest", "ram": 128, "vcpus": 1, "disk": 1}
# What a resize of it goes to: more memory and a larger root disk (Nova grows the disk on the new
# host; it refuses to shrink one, so there is no way back but a revert).
GUEST_LARGE_FLAVOR = {"name": "understudy.guest.large", "ram": 192, "vcpus": 1, "disk": 2}
GUEST_IMAGE = "understudy-guest"
# Its /init writes numbered records to /dev/vda and prints each on ttyS0, which Nova logs as the
# server's console. Nova waits os_shutdown_timeout seconds for a guest to power off on ACPI before
# it destroys it (60 by default); the guest has nothing to flush.
GUEST_PROPERTIES = {"os_command_line": "console=ttyS0 panic=-1 quiet understudy.delay=0.1",
                    "os_shutdown_timeout": "1"}


class Api:
    def __init__(self):
        with open(os.environ["OS_CLIENT_CONFIG_FILE"]) as f:
            auth = yaml.safe_load(f)["clouds"]["understudy"]["auth"]
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": auth["username"], "password": auth["password"],
                "domain": {"name": auth["user_domain_name"]}}}},
            "scope": {"project": {"name": auth["project_name"],
                                  "domain": {"name": auth["project_domain_name"]}}}}}
        response, token = self._send("POST", KEYSTONE + "/auth/tokens", body, {})
        self.token = response.headers["X-Subject-Token"]
        self.catalog = {service["type"]: service for service in token["token"]["catalog"]}

    def url(self, service_type):
        for endpoint in self.catalog[service_type]["endpoints"]:
            if endpoint["interface"] == "public":
                return endpoint["url"]
        raise SystemExit(f"no public {service_type} endpoint in the catalog")

    def call(self, method, url, body=None, headers=None, raw=None):
        all_headers = {"X-Auth-Token": self.token}
        all_headers.update(headers or {})
        return self._send(method, url, body, all_headers, raw)[1]

    @staticmethod
    def _send(method, url, body, headers, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        if raw is not None:
            request.add_header("Content-Type", "application/octet-stream")
        elif body is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                text = response.read()
                return response, json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            raise ApiError(method, url, e.code, e.read().decode(errors="replace")) from None


class ApiError(Exception):
    def __init__(self, method, url, status, body):
        super().__init__(f"{method} {url}: HTTP {status}: {body[:300]}")
        self.status = status


def one(items, what):
    if len(items) > 1:
        raise SystemExit(f"{len(items)} {what} exist where one was expected: remove the extras")
    return items[0] if items else None


def catalog(api):
    k = KEYSTONE
    project = one(api.call("GET", f"{k}/projects?name=service&domain_id=default")["projects"], "projects 'service'")
    if project is None:
        project = api.call("POST", f"{k}/projects", {"project": {
            "name": "service", "domain_id": "default", "description": "OpenStack's own service users"}})["project"]
    admin_role = one(api.call("GET", f"{k}/roles?name=admin")["roles"], "roles 'admin'")
    password = os.environ["SERVICE_PASSWORD"]
    for name in SERVICE_USERS:
        user = one(api.call("GET", f"{k}/users?name={name}&domain_id=default")["users"], f"users '{name}'")
        if user is None:
            user = api.call("POST", f"{k}/users", {"user": {
                "name": name, "domain_id": "default", "password": password}})["user"]
        else:
            # The password follows the state directory's secret, which may have been regenerated.
            api.call("PATCH", f"{k}/users/{user['id']}", {"user": {"password": password}})
        api.call("PUT", f"{k}/projects/{project['id']}/users/{user['id']}/roles/{admin_role['id']}")
    for name, service_type, url in ENDPOINTS:
        service = one(api.call("GET", f"{k}/services?type={service_type}")["services"], f"{service_type} services")
        if service is None:
            service = api.call("POST", f"{k}/services", {"service": {
                "name": name, "type": service_type, "enabled": True}})["service"]
        endpoints = api.call("GET", f"{k}/endpoints?service_id={service['id']}&interface=public")["endpoints"]
        endpoint = one(endpoints, f"public {service_type} endpoints")
        if endpoint is None:
            api.call("POST", f"{k}/endpoints", {"endpoint": {
                "service_id": service["id"], "interface": "public", "region_id": REGION, "url": url}})
        elif endpoint["url"] != url:
            api.call("PATCH", f"{k}/endpoints/{endpoint['id']}", {"endpoint": {"url": url}})


# Understudy's controller: not an admin. Nova lets the role 'understudy' do what the controller
# needs (etc/nova/policy.d/understudy.yaml); Keystone lets the role 'service' validate the tokens
# the controller's API is called with.
CONTROLLER_USER = "understudy-controller"
CONTROLLER_ROLES = ("service", "understudy")


def role(api, name):
    found = one(api.call("GET", f"{KEYSTONE}/roles?name={name}")["roles"], f"roles '{name}'")
    return found or api.call("POST", f"{KEYSTONE}/roles", {"role": {"name": name}})["role"]


def controller_user(api):
    k = KEYSTONE
    project = one(api.call("GET", f"{k}/projects?name=service&domain_id=default")["projects"], "projects 'service'")
    password = os.environ["CONTROLLER_PASSWORD"]
    user = one(api.call("GET", f"{k}/users?name={CONTROLLER_USER}&domain_id=default")["users"],
               f"users '{CONTROLLER_USER}'")
    if user is None:
        user = api.call("POST", f"{k}/users", {"user": {
            "name": CONTROLLER_USER, "domain_id": "default", "password": password}})["user"]
    else:
        api.call("PATCH", f"{k}/users/{user['id']}", {"user": {"password": password}})
    for name in CONTROLLER_ROLES:
        api.call("PUT", f"{k}/projects/{project['id']}/users/{user['id']}/roles/{role(api, name)['id']}")


def assets(api):
    # Neutron answers its first port listing with "Port has no attribute port_forwardings" unless
    # a network listing came first (RESEARCH.md): Nova lists ports on every server show.
    network = api.url("network")
    api.call("GET", f"{network}/v2.0/networks")
    api.call("GET", f"{network}/v2.0/ports")

    ensure_flavor(api, FLAVOR)

    image = api.url("image")
    images = api.call("GET", f"{image}/v2/images?name={IMAGE_NAME}")["images"]
    for stale in [i for i in images if i["status"] != "active"]:
        api.call("DELETE", f"{image}/v2/images/{stale['id']}")  # an upload cut short earlier
    if not any(i["status"] == "active" for i in images):
        created = api.call("POST", f"{image}/v2/images", {
            "name": IMAGE_NAME, "disk_format": "raw", "container_format": "bare", "visibility": "public"})
        api.call("PUT", f"{image}/v2/images/{created['id']}/file", raw=bytes(IMAGE_BYTES))


def ensure_flavor(api, flavor):
    compute = api.url("compute")
    flavors = api.call("GET", f"{compute}/flavors?is_public=None")["flavors"]
    if not any(f["name"] == flavor["name"] for f in flavors):
        api.call("POST", f"{compute}/flavors", {"flavor": flavor})


def md5_of(path):
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_image(api, name, path, disk_format, container_format, properties):
    """The active image NAME holding PATH's bytes and PROPERTIES; replaces one that differs. Its ID."""
    image = api.url("image")
    checksum = md5_of(path)
    found = None
    for candidate in api.call("GET", f"{image}/v2/images?name={name}")["images"]:
        if (found is None and candidate["status"] == "active" and candidate.get("checksum") == checksum
                and candidate["disk_format"] == disk_format and candidate["container_format"] == container_format
                and all(candidate.get(k) == v for k, v in properties.items())):
            found = candidate
        else:
            # An older build, other properties, or an upload cut short. Servers booted from it keep
            # running from Nova's image cache, but a live migration or evacuation of one fetches
            # its images again: delete those servers too.
            api.call("DELETE", f"{image}/v2/images/{candidate['id']}")
    if found is not None:
        return found["id"]
    body = {"name": name, "disk_format": disk_format, "container_format": container_format,
            "visibility": "public"}
    body.update(properties)
    created = api.call("POST", f"{image}/v2/images", body)
    with open(path, "rb") as f:
        api.call("PUT", f"{image}/v2/images/{created['id']}/file", raw=f.read())
    return created["id"]


def guest_images(api, kernel_file, ramdisk_file, disk_file):
    ensure_flavor(api, GUEST_FLAVOR)
    ensure_flavor(api, GUEST_LARGE_FLAVOR)
    # Raw, not aki/ari: Nova 26 fetches them again on a live migration's destination, through its
    # format check, which refuses an aki or ari image (qemu-img calls it raw: "Image content does
    # not match disk_format"). Nova does not ask a kernel_id's image for a format.
    kernel = ensure_image(api, GUEST_IMAGE + "-kernel", kernel_file, "raw", "bare", {})
    ramdisk = ensure_image(api, GUEST_IMAGE + "-ramdisk", ramdisk_file, "raw", "bare", {})
    properties = dict(GUEST_PROPERTIES, kernel_id=kernel, ramdisk_id=ramdisk)
    ensure_image(api, GUEST_IMAGE, disk_file, "qcow2", "bare", properties)


def compute_services(api):
    return api.call("GET", f"{api.url('compute')}/os-services?binary=nova-compute",
                    headers={"OpenStack-API-Version": "compute 2.53"})["services"]


def computes_up(api, hosts, since=None):
    services = {s["host"]: s for s in compute_services(api)}
    for host in hosts:
        service = services.get(host)
        if service and service["forced_down"]:
            # A crashed test left it forced down; Nova accepts the reset once the restarted compute
            # has cleaned up its evacuated instances (until then: 400, try again next round).
            try:
                api.call("PUT", f"{api.url('compute')}/os-services/{service['id']}", {"forced_down": False},
                         headers={"OpenStack-API-Version": "compute 2.53"})
                print(f"{host}: forced_down was left set; unset it", file=sys.stderr)
            except ApiError as e:
                if e.status != 400:
                    raise
    # Nova calls a service up while its last report is younger than service_down_time: after a
    # restart, that may still be the report of the process that was stopped.
    return all(host in services and services[host]["state"] == "up" and not services[host]["forced_down"]
               and (since is None or (services[host]["updated_at"] or "") >= since)
               for host in hosts)


def main(argv):
    if not argv:
        raise SystemExit(__doc__)
    command, args = argv[0], argv[1:]
    try:
        api = Api()
        if command == "catalog":
            catalog(api)
        elif command == "controller-user":
            controller_user(api)
        elif command == "assets":
            assets(api)
        elif command == "guest-images":
            if len(args) != 3:
                raise SystemExit("usage: rest.py guest-images KERNEL RAMDISK DISK")
            guest_images(api, *args)
        elif command == "computes-up":
            since = None
            if args[:1] == ["--since"] and len(args) >= 2:
                since, args = args[1], args[2:]
            return 0 if computes_up(api, args, since) else 1
        elif command == "services":
            for s in compute_services(api):
                print(f"{s['host']:<10} {s['binary']:<14} {s['status']:<9} {s['state']:<5}"
                      f" forced_down={s['forced_down']} updated_at={s['updated_at']} id={s['id']}")
        elif command == "token":
            print(api.token)
        else:
            raise SystemExit(f"rest.py: unknown command '{command}'")
    except (ApiError, urllib.error.URLError, OSError) as e:
        print(f"rest.py {command}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
