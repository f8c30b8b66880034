"""Local mode's cheaper TransactWriteItems (localmode.moto_speedups) rolls back exactly what moto's own did."""

from __future__ import annotations

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
