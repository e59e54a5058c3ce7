"""scim2-tester (an independent RFC 7643/7644 compliance checker) against orgpass's
SCIM service, run by tests/e2e/scim.rs.

usage: python compliance.py BASE_URL TOKEN DOMAIN

The checker discovers the service (ServiceProviderConfig, ResourceTypes, Schemas),
then creates, reads, queries, replaces, patches and deletes Users with random values
for every attribute the published schema marks writable. One product rule it cannot
know: a userName is an email address in one of the organization's verified domains.
So the discovered User model's `userName` gets example values (pydantic's field
`examples`, which the checker draws from) that are fresh addresses in DOMAIN; every
check and verdict is the checker's own.

Prints one line per check; exits 1 if any check ends in ERROR or CRITICAL, or if none
ran at all.
"""

import sys
import uuid

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

base_url, token, domain = sys.argv[1:4]


class FreshAddresses:
    """A sequence as long as one likes whose every item is a new address in DOMAIN."""

    def __len__(self):
        return 1 << 30

    def __getitem__(self, index):
        return f"scim-{uuid.uuid4().hex[:12]}@{domain}"

    def __iter__(self):
        return iter([self[0]])


http = Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"})
client = SyncSCIMClient(http)
client.discover()
user = client.get_resource_model("User")
if user is None:
    sys.exit("the service published no User resource type")
user.model_fields["user_name"].examples = FreshAddresses()

results = check_server(client, resource_types=["User", "Group"])
bad = {Status.ERROR, Status.CRITICAL}
for r in results:
    print(f"{r.status.name:10} {r.title}: {r.reason or ''}".rstrip())
ran = [r for r in results if r.status != Status.SKIPPED]
failed = [r for r in results if r.status in bad]
print(f"{len(results)} checks, {len(ran)} ran, {len(failed)} failed")
sys.exit(1 if failed or not ran else 0)
