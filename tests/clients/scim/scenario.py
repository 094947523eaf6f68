#!/usr/bin/env python3
"""An identity provider's day against Roster's /scim/v2, through scim2-client,
with every step checked through Roster's own GraphQL API as an admin sees it:

1. one /Bulk request creates 1,000 users and 20 groups of 50 members, the
   members named by bulkId;
2. PATCHes move members between groups (value-filter removes, Entra ID's
   remove with a value list), one of them adding and removing 300 members
   each at once;
3. users are deactivated (typed PATCH, Entra ID's "Replace"/"False", a
   path-less replace) and reactivated;
4. DELETE with the account's default deleteMode (SUSPEND), then with DELETE;
5. the activity history names the SCIM token as the actor.

Environment: ROSTER_URL (http://host:port), ROSTER_TOKEN (a session token of
the account's super admin), ROSTER_EMAIL (that admin's email),
ROSTER_SCIM_TOKEN and ROSTER_SCIM_TOKEN_NAME (a SCIM token of the account and
its name). Exits non-zero at the first failed check.
"""

import os
import secrets
import sys
import time

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import (
    BulkOperation,
    BulkRequest,
    BulkResponse,
    Error,
    PatchOp,
    PatchOperation,
    SearchRequest,
)

URL = os.environ["ROSTER_URL"].rstrip("/")
ADMIN_EMAIL = os.environ["ROSTER_EMAIL"]
TOKEN_NAME = os.environ["ROSTER_SCIM_TOKEN_NAME"]
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

USERS = 1_000
GROUPS = 20
PER_GROUP = USERS // GROUPS
# Every name of this run is new, whatever the account already holds.
RUN = secrets.token_hex(4)
DOMAIN = f"run{RUN}.scim.test"


def email_of(i: int) -> str:
    return f"user{i:04d}@{DOMAIN}"


def group_name(g: int) -> str:
    return f"SCIM {RUN} group {g:02d}"


STARTED = time.monotonic()


def step(text: str) -> None:
    print(f"[{time.monotonic() - STARTED:5.1f}s] {text}", flush=True)


def check(ok: bool, what: str) -> None:
    if not ok:
        raise AssertionError(what)


# --- GraphQL, as the account's super admin --------------------------------

gql_http = Client(
    base_url=URL,
    headers={"Authorization": f"Bearer {os.environ['ROSTER_TOKEN']}"},
    timeout=60.0,
    trust_env=False,
)


def gql(query: str, **variables):
    r = gql_http.post("/graphql", json={"query": query, "variables": variables})
    body = r.json()
    if r.status_code != 200 or body.get("errors"):
        raise AssertionError(f"GraphQL {r.status_code}: {body.get('errors') or body}")
    return body["data"]


def user_by_email(email: str):
    """The user as GraphQL shows them, or None."""
    return gql(
        "query($email: String!) { userByEmail(email: $email) { email status role } }",
        email=email,
    )["userByEmail"]


def run_users() -> dict[str, str]:
    """This run's users in GraphQL: email -> status."""
    found, after = {}, None
    while True:
        page = gql(
            """query($keyword: String!, $after: String) {
                 users(first: 100, after: $after, filter: {keyword: $keyword}) {
                   totalCount pageInfo { hasNextPage endCursor } nodes { email status } } }""",
            keyword=DOMAIN,
            after=after,
        )["users"]
        found.update({n["email"]: n["status"] for n in page["nodes"]})
        if not page["pageInfo"]["hasNextPage"]:
            check(len(found) == page["totalCount"], f"paged {len(found)} of {page['totalCount']} users")
            return found
        after = page["pageInfo"]["endCursor"]


def all_users_count() -> int:
    return gql("{ users { totalCount } }")["users"]["totalCount"]


def memberships() -> dict[str, set[str]]:
    """This run's groups in GraphQL: name -> member emails (every page)."""
    groups = gql(
        """query($keyword: String!, $first: Int!) { groups(first: $first, keyword: $keyword) {
             totalCount nodes { id name users(first: 100) {
               totalCount pageInfo { hasNextPage endCursor } nodes { email } } } } }""",
        keyword=f"SCIM {RUN} group",
        first=GROUPS,
    )["groups"]
    check(groups["totalCount"] == GROUPS, f"GraphQL finds {groups['totalCount']} groups, not {GROUPS}")
    out = {}
    for g in groups["nodes"]:
        users = g["users"]
        emails = {n["email"] for n in users["nodes"]}
        while users["pageInfo"]["hasNextPage"]:
            users = gql(
                """query($id: ID!, $after: String) { group(id: $id) { users(first: 100, after: $after) {
                     totalCount pageInfo { hasNextPage endCursor } nodes { email } } } }""",
                id=g["id"],
                after=users["pageInfo"]["endCursor"],
            )["group"]["users"]
            emails |= {n["email"] for n in users["nodes"]}
        check(len(emails) == users["totalCount"], f"{g['name']}: paged {len(emails)} of {users['totalCount']}")
        out[g["name"]] = emails
    return out


# --- SCIM, as the identity provider ---------------------------------------

scim_http = Client(
    base_url=f"{URL}/scim/v2",
    headers={"Authorization": f"Bearer {os.environ['ROSTER_SCIM_TOKEN']}"},
    timeout=120.0,
    trust_env=False,
)
scim = SyncSCIMClient(scim_http)
scim.discover()
User = scim.get_resource_model("User")
Group = scim.get_resource_model("Group")


def patch_group(group_id: str, operations: list[dict]) -> None:
    """PATCH a group with raw operations (sent as written), expecting 200 or 204."""
    scim.modify(Group, group_id, {"schemas": [PATCH_OP], "Operations": operations})


def patch_user(user_id: str, operations: list[dict]):
    return scim.modify(User, user_id, {"schemas": [PATCH_OP], "Operations": operations})


def scim_members(group_id: str) -> set[str]:
    group = scim.query(Group, group_id)
    return {m.value for m in group.members or []}


def main() -> None:
    settings = gql("{ scimSettings { deleteMode } }")["scimSettings"]
    check(settings["deleteMode"] == "SUSPEND", f"default deleteMode is {settings['deleteMode']}, not SUSPEND")
    before = all_users_count()

    # 1. One bulk request: 1,000 users, then 20 groups naming them by bulkId.
    step(f"/Bulk: {USERS} users and {GROUPS} groups of {PER_GROUP} (run {RUN}, {before} users before)")
    operations = [
        BulkOperation[User](
            method=BulkOperation.Method.post,
            path="/Users",
            bulk_id=f"u{i}",
            data=User(
                user_name=email_of(i),
                name={"given_name": "Synced", "family_name": f"User {i:04d}"},
                emails=[{"value": email_of(i), "type": "work", "primary": True}],
                active=True,
            ),
        )
        for i in range(USERS)
    ]
    operations += [
        BulkOperation[Group](
            method=BulkOperation.Method.post,
            path="/Groups",
            bulk_id=f"g{g}",
            data=Group(
                display_name=group_name(g),
                members=[
                    {"value": f"bulkId:u{i}", "type": "User"}
                    for i in range(g * PER_GROUP, (g + 1) * PER_GROUP)
                ],
            ),
        )
        for g in range(GROUPS)
    ]
    response = scim.bulk(BulkRequest[User | Group](operations=operations))
    check(isinstance(response, BulkResponse), f"/Bulk answered {response!r}")
    check(len(response.operations) == USERS + GROUPS, f"/Bulk answered {len(response.operations)} operations")
    failed = [op for op in response.operations if op.status != 201]
    check(not failed, f"{len(failed)} bulk operations not 201, first: {failed[:1]}")
    ids = {op.bulk_id: op.location.rstrip("/").rsplit("/", 1)[-1] for op in response.operations}
    user_id = {i: ids[f"u{i}"] for i in range(USERS)}
    group_id = {g: ids[f"g{g}"] for g in range(GROUPS)}
    email_by_id = {user_id[i]: email_of(i) for i in range(USERS)}
    check(len(set(user_id.values())) == USERS, "bulk users share ids")

    step("GraphQL: 1,000 new ACTIVE users, the super admin, 20 groups of 50")
    check(all_users_count() == before + USERS, f"GraphQL counts {all_users_count()} users, not {before} + {USERS}")
    users = run_users()
    check(set(users) == {email_of(i) for i in range(USERS)}, "GraphQL's users of this run differ from the bulk's")
    check(set(users.values()) == {"ACTIVE"}, f"statuses {set(users.values())}")
    admin = user_by_email(ADMIN_EMAIL)
    check(admin is not None and (admin["role"], admin["status"]) == ("SUPER_ADMIN", "ACTIVE"), f"super admin: {admin}")
    expected = {
        group_name(g): {email_of(i) for i in range(g * PER_GROUP, (g + 1) * PER_GROUP)}
        for g in range(GROUPS)
    }
    check(memberships() == expected, "GraphQL group members differ from the bulk's")

    def move(src: int, dst: int, members: list[int]) -> None:
        for i in members:
            expected[group_name(src)].discard(email_of(i))
            expected[group_name(dst)].add(email_of(i))

    # 2. Moves between groups.
    step("PATCH: 10 members of group 00 move to group 01 (value-filter removes, one add)")
    movers = list(range(0, 10))
    patch_group(group_id[0], [
        {"op": "remove", "path": f'members[value eq "{user_id[i]}"]'} for i in movers
    ])
    patch_group(group_id[1], [
        {"op": "add", "path": "members", "value": [{"value": user_id[i]} for i in movers]}
    ])
    move(0, 1, movers)

    step("PATCH: Entra ID style, 5 members of group 02 move to group 03 (remove with a value list)")
    movers = list(range(2 * PER_GROUP, 2 * PER_GROUP + 5))
    patch_group(group_id[2], [
        {"op": "Remove", "path": "members", "value": [{"value": user_id[i]} for i in movers]}
    ])
    patch_group(group_id[3], [
        {"op": "Add", "path": "members", "value": [{"value": user_id[i]} for i in movers]}
    ])
    move(2, 3, movers)

    # Groups 05-12's 400 users join group 04 too; then one PATCH of group 04
    # removes 300 of them (who move on to group 13) and adds groups 14-19's
    # 300 users.
    step("PATCH: the 400 members of groups 05-12 join group 04")
    joiners = list(range(5 * PER_GROUP, 13 * PER_GROUP))
    patch_group(group_id[4], [
        {"op": "add", "path": "members", "value": [{"value": user_id[i]} for i in joiners]}
    ])
    expected[group_name(4)] |= {email_of(i) for i in joiners}
    check(len(scim_members(group_id[4])) == 450, "SCIM: group 04 does not have 450 members")

    step("PATCH: one request removes 300 members of group 04 and adds 300 others; the 300 join group 13")
    leavers = joiners[:300]
    arrivals = list(range(14 * PER_GROUP, 20 * PER_GROUP))
    patch_group(group_id[4], [
        {"op": "remove", "path": "members", "value": [{"value": user_id[i]} for i in leavers]},
        {"op": "add", "path": "members", "value": [{"value": user_id[i]} for i in arrivals]},
    ])
    patch_group(group_id[13], [
        {"op": "add", "path": "members", "value": [{"value": user_id[i]} for i in leavers]}
    ])
    move(4, 13, leavers)
    expected[group_name(4)] |= {email_of(i) for i in arrivals}
    members = {email_by_id[m] for m in scim_members(group_id[4])}
    check(
        members == expected[group_name(4)],
        f"SCIM: group 04 has {len(members)} members, not the {len(expected[group_name(4)])} expected",
    )
    step("GraphQL: every group has the members the moves left")
    got = memberships()
    for name in sorted(expected):
        check(
            got[name] == expected[name],
            f"{name}: GraphQL shows {len(got[name])} members, expected {len(expected[name])}; "
            f"missing {sorted(expected[name] - got[name])[:5]}, extra {sorted(got[name] - expected[name])[:5]}",
        )

    # 3. Deactivation and reactivation.
    step("PATCH active false: typed, Entra ID 'Replace'/'False', path-less; GraphQL says SUSPENDED")
    typed, entra, pathless = 100, 101, 102
    scim.modify(User, user_id[typed], PatchOp[User](operations=[
        PatchOperation[User](op=PatchOperation.Op.replace_, path="active", value=False)
    ]))
    patch_user(user_id[entra], [{"op": "Replace", "path": "active", "value": "False"}])
    patch_user(user_id[pathless], [{"op": "replace", "value": {"active": False}}])
    for i in (typed, entra, pathless):
        check(scim.query(User, user_id[i]).active is False, f"SCIM: {email_of(i)} is still active")
        status = user_by_email(email_of(i))["status"]
        check(status == "SUSPENDED", f"GraphQL: {email_of(i)} is {status}, not SUSPENDED")
    suspended = scim.query(User, query_parameters=SearchRequest(filter=f'active eq false and userName ew "@{DOMAIN}"'))
    check(
        {u.user_name for u in suspended.resources or []} == {email_of(i) for i in (typed, entra, pathless)},
        f"SCIM filter active eq false finds {[u.user_name for u in suspended.resources or []]}",
    )

    step("PATCH active true (one Entra ID 'True'); GraphQL says ACTIVE")
    scim.modify(User, user_id[typed], PatchOp[User](operations=[
        PatchOperation[User](op=PatchOperation.Op.replace_, path="active", value=True)
    ]))
    patch_user(user_id[entra], [{"op": "Replace", "path": "active", "value": "True"}])
    patch_user(user_id[pathless], [{"op": "replace", "value": {"active": True}}])
    for i in (typed, entra, pathless):
        check(scim.query(User, user_id[i]).active is True, f"SCIM: {email_of(i)} is not active")
        status = user_by_email(email_of(i))["status"]
        check(status == "ACTIVE", f"GraphQL: {email_of(i)} is {status}, not ACTIVE")

    # 4. Deletes: suspended by default, erased with deleteMode DELETE.
    step("DELETE with deleteMode SUSPEND: SCIM 404, GraphQL SUSPENDED")
    kept = 200
    scim.delete(User, user_id[kept])
    gone = scim.query(User, user_id[kept], raise_scim_errors=False)
    check(isinstance(gone, Error) and gone.status == 404, f"SCIM GET after DELETE: {gone!r}")
    status = user_by_email(email_of(kept))["status"]
    check(status == "SUSPENDED", f"GraphQL: {email_of(kept)} is {status} after a SUSPEND delete")

    step("deleteMode DELETE through GraphQL, DELETE: SCIM 404, GraphQL finds no user")
    changed = gql(
        "mutation { updateScimSettings(input: {deleteMode: DELETE}) { scimSettings { deleteMode } userErrors { message } } }"
    )["updateScimSettings"]
    check(not changed["userErrors"], f"updateScimSettings: {changed['userErrors']}")
    check(gql("{ scimSettings { deleteMode } }")["scimSettings"]["deleteMode"] == "DELETE", "deleteMode not DELETE")
    erased = 201
    scim.delete(User, user_id[erased])
    gone = scim.query(User, user_id[erased], raise_scim_errors=False)
    check(isinstance(gone, Error) and gone.status == 404, f"SCIM GET after DELETE: {gone!r}")
    check(user_by_email(email_of(erased)) is None, f"GraphQL still finds {email_of(erased)}")
    users = run_users()
    check(email_of(erased) not in users and len(users) == USERS - 1, f"GraphQL lists {len(users)} users of this run")
    check(users[email_of(kept)] == "SUSPENDED", f"{email_of(kept)} is {users.get(email_of(kept))}")
    check(all_users_count() == before + USERS - 1, f"GraphQL counts {all_users_count()} users")
    owner = next(name for name, emails in expected.items() if email_of(erased) in emails)
    expected[owner].discard(email_of(erased))
    got = memberships()
    check(got[owner] == expected[owner], f"{owner} after the erasure: {len(got[owner])} members, expected {len(expected[owner])}")

    # 5. The history names the token.
    step(f"GraphQL activity: the token {TOKEN_NAME!r} is the actor")
    actions = ["user.add", "user.status", "user.scim_delete", "user.delete", "group.add_member", "group.remove_member"]
    fields = " ".join(
        f'a{n}: activity(first: 50, filter: {{actions: ["{a}"]}}) {{ nodes {{ actorName action targetName }} }}'
        for n, a in enumerate(actions)
    )
    history = gql(f"{{ {fields} }}")
    for n, action in enumerate(actions):
        entries = history[f"a{n}"]["nodes"]
        check(
            any(TOKEN_NAME in e["actorName"] for e in entries),
            f"no {action} entry by the token; actors: {sorted({e['actorName'] for e in entries})}",
        )
    entries = [e for n in range(len(actions)) for e in history[f"a{n}"]["nodes"]]
    targets = {(e["action"], e["targetName"]) for e in entries if TOKEN_NAME in e["actorName"]}
    check(("user.scim_delete", email_of(kept)) in targets, f"no user.scim_delete entry by the token for {email_of(kept)}")
    check(("user.status", email_of(entra)) in targets, f"no user.status entry by the token for {email_of(entra)}")

    step("scenario passed")


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # one line that says what failed, then the trace
        print(f"SCIM scenario FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        raise
