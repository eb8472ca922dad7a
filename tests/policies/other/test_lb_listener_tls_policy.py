import pytest

from policy_harness import UNKNOWN, messages, resource

TLS_RULE = "aws-lb-listener-configure-current-tls-policy"


@pytest.mark.parametrize("inputs, expected", [
    ({"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}, []),
    ({"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-3-2021-06"}, []),
    ({"protocol": "HTTP", "port": 80}, []),
    ({"protocol": "HTTPS", "sslPolicy": UNKNOWN}, []),
    ({"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-2016-08"},
     ["`sslPolicy` 'ELBSecurityPolicy-2016-08' allows TLS versions older than 1.2"]),
    ({"protocol": "TLS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-1-2021-06"},
     ["`sslPolicy` 'ELBSecurityPolicy-TLS13-1-1-2021-06' allows TLS versions older than 1.2"]),
    ({"protocol": "HTTPS"}, ["no `sslPolicy`: AWS falls back to ELBSecurityPolicy-2016-08, which allows TLS 1.0"]),
])
def test_listener_tls_policy(inputs, expected):
    assert messages([resource("aws:lb/listener:Listener", inputs)], TLS_RULE) == expected
