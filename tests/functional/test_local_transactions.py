"""Local mode's cheaper moto (localmode.moto_speedups): transactions roll back and queries answer as moto's own."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from localmode import moto_speedups


@mock_aws
def test_a_cancelled_transaction_leaves_every_item_as_it_was_and_a_passing_one_applies() -> None:
    restore = moto_speedups.install()
    try:
        db = boto3.client("dynamodb", region_name="eu-west-1")
        keys = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
        types = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}]
        db.create_table(TableName="t", BillingMode="PAY_PER_REQUEST", KeySchema=keys, AttributeDefinitions=types)
        db.put_item(TableName="t", Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "1"}})
        db.put_item(TableName="t", Item={"pk": {"S": "b"}, "sk": {"S": "1"}, "n": {"N": "1"}})
        update_a = {
            "Update": {
                "TableName": "t",
                "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                "UpdateExpression": "SET n = :two",
                "ExpressionAttributeValues": {":two": {"N": "2"}},
            }
        }
        new_c = {"Put": {"TableName": "t", "Item": {"pk": {"S": "c"}, "sk": {"S": "1"}}}}
        taken_b = {"Put": {"TableName": "t", "Item": {"pk": {"S": "b"}, "sk": {"S": "1"}, "n": {"N": "9"}},
                           "ConditionExpression": "attribute_not_exists(pk)"}}  # fmt: skip
        with pytest.raises(ClientError, match="TransactionCanceled"):
            db.transact_write_items(TransactItems=[update_a, new_c, taken_b])
        items = {i["pk"]["S"]: i.get("n", {}).get("N") for i in db.scan(TableName="t")["Items"]}
        assert items == {"a": "1", "b": "1"}  # a's update undone, c never written, b untouched
        db.transact_write_items(TransactItems=[update_a, new_c])
        items = {i["pk"]["S"]: i.get("n", {}).get("N") for i in db.scan(TableName="t")["Items"]}
        assert items == {"a": "2", "b": "1", "c": None}
    finally:
        restore()


def _queries(db: Any) -> list[Any]:
    def ask(**kwargs: Any) -> Any:
        pages = db.get_paginator("query").paginate(TableName="q", **kwargs)
        return [[(i["pk"]["S"], i["sk"]["S"]) for i in page["Items"]] for page in pages]

    prefix = {"KeyConditionExpression": "pk = :p AND begins_with(sk, :s)"}
    return [
        ask(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}}),
        ask(**prefix, ExpressionAttributeValues={":p": {"S": "a"}, ":s": {"S": "CUSTOMER#"}}),
        ask(**prefix, ExpressionAttributeValues={":p": {"S": "a"}, ":s": {"S": "RECORD#"}}, Limit=2),
        ask(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "b"}}, ScanIndexForward=False),
        ask(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "none"}}),
    ]


@mock_aws
def test_a_query_starting_from_its_partition_answers_what_moto_answered() -> None:
    db = boto3.client("dynamodb", region_name="eu-west-1")
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    types = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}]
    db.create_table(TableName="q", BillingMode="PAY_PER_REQUEST", KeySchema=keys, AttributeDefinitions=types)
    for pk, sk in [("a", f"RECORD#{n}") for n in range(5)] + [("a", "CUSTOMER#x"), ("a", "x"), ("b", "1"), ("b", "2")]:
        db.put_item(TableName="q", Item={"pk": {"S": pk}, "sk": {"S": sk}})
    before = _queries(db)
    restore = moto_speedups.install()
    try:
        assert _queries(db) == before
    finally:
        restore()
    assert before[1] == [[("a", "CUSTOMER#x")]] and len(before[2]) >= 3  # the prefix, and pages of two
