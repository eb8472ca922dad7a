import pytest

from policy_harness import UNKNOWN, UNKNOWN_BOOL, messages, resource


ROTATION_RULE = "aws-kms-key-enable-rotation"
KEY = "aws:kms/key:Key"


@pytest.mark.parametrize("inputs", [
    {"enableKeyRotation": True},
    {"customerMasterKeySpec": "HMAC_256", "keyUsage": "GENERATE_VERIFY_MAC"},
    {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"},
    {"customerMasterKeySpec": "ECC_SECG_P256K1", "keyUsage": "SIGN_VERIFY"},
    {"customKeyStoreId": "cks-1234"},
    {"enableKeyRotation": UNKNOWN_BOOL},
    {"customerMasterKeySpec": UNKNOWN},
])
def test_rotating_or_non_rotatable_keys_are_clean(inputs):
    assert messages([resource(KEY, inputs)], ROTATION_RULE) == []


@pytest.mark.parametrize("inputs", [{}, {"enableKeyRotation": False}, {"customerMasterKeySpec": "SYMMETRIC_DEFAULT"}])
def test_symmetric_keys_without_rotation_are_violations(inputs):
    assert messages([resource(KEY, inputs)], ROTATION_RULE) == [
        "`enableKeyRotation` is not true: the key material never changes"
    ]
