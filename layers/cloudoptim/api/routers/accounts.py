"""AWS accounts: onboard (`POST`), list, read, download the template, verify the role, remove."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response

from cloudoptim.api.context import Caller, Deps, IdempotencyKey, IfMatch, idempotent, version_of, with_etag
from cloudoptim.api.problems import content, responses
from cloudoptim.api.schemas import Account, AccountCreated, AccountIn, Page
from cloudoptim.tenancy import accounts

router = APIRouter(tags=["accounts"])
AccountId = Annotated[str, Path(pattern=r"^\d{12}$", description="the AWS account id")]
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=2048)]


@router.post(
    "/v1/accounts",
    status_code=201,
    response_model=AccountCreated,
    responses=responses(400, 401, 403, 409, 422),
    summary="Onboard an AWS account: a generated ExternalId and the template to deploy",
)
def create_account(body: AccountIn, principal: Caller, wired: Deps, key: IdempotencyKey = None) -> Response:
    def run() -> Response:
        document = accounts.create(
            wired.tenancy, principal, body.aws_account_id, body.regions, body.launch_template_ids,
            body.node_role_names, wired.now(),
        )  # fmt: skip
        created = AccountCreated(
            **Account.of(document).model_dump(),
            external_id=wired.tenancy.external_ids.get(principal.tenant_id),
            template=accounts.template(wired.tenancy, principal.tenant_id, document.body),
        )
        response = with_etag(created, document, status=201)
        response.headers["Location"] = f"/v1/accounts/{document.id}"
        return response

    return idempotent(body, key, principal, wired, "POST /v1/accounts", run)


@router.get("/v1/accounts", response_model=Page[Account], responses=responses(401, 403, 422))
def list_accounts(principal: Caller, wired: Deps, limit: Limit = 50, cursor: Cursor = None) -> Page[Account]:
    page = accounts.listed(wired.tenancy, principal, limit, cursor)
    return Page[Account](items=[Account.of(d) for d in page.items], next_cursor=page.cursor)


@router.get("/v1/accounts/{account_id}", response_model=Account, responses=responses(401, 403, 404, 422))
def get_account(account_id: AccountId, principal: Caller, wired: Deps) -> JSONResponse:
    document = accounts.get(wired.tenancy, principal, account_id)
    return with_etag(Account.of(document), document)


@router.get(
    "/v1/accounts/{account_id}/template",
    responses={**content("application/json", "CloudFormation template"), **responses(401, 403, 404, 422)},
    summary="The onboarding CloudFormation template, as a download",
)
def get_template(account_id: AccountId, principal: Caller, wired: Deps) -> Response:
    text = accounts.template_json(wired.tenancy, principal, account_id)
    disposition = f'attachment; filename="cloudoptim-onboarding-{account_id}.json"'
    return Response(text, media_type="application/json", headers={"Content-Disposition": disposition})


@router.post(
    "/v1/accounts/{account_id}/verify",
    response_model=Account,
    responses=responses(401, 403, 404, 409, 412, 422),
    summary="Assume the account's role and record what CloudOptim can and cannot do",
)
def verify_account(account_id: AccountId, principal: Caller, wired: Deps, key: IdempotencyKey = None) -> Response:
    def run() -> Response:
        document = accounts.verify(wired.tenancy, principal, account_id, wired.now())
        return with_etag(Account.of(document), document)

    return idempotent({}, key, principal, wired, f"POST /v1/accounts/{account_id}/verify", run)


@router.delete("/v1/accounts/{account_id}", status_code=204, responses=responses(401, 403, 404, 409, 412, 422))
def delete_account(account_id: AccountId, principal: Caller, wired: Deps, if_match: IfMatch = None) -> Response:
    accounts.delete(wired.tenancy, principal, account_id, version_of(if_match), wired.now())
    return Response(status_code=204)
