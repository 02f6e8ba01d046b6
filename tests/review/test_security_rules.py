"""The binding rules of the review app: loopback needs nothing, any other address an operator token."""

from __future__ import annotations

import pytest
from kehoach.pipeline.review.security import BindingRefused, _host_name, check_binding, is_loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.53", "localhost", "::1", "[::1]"])
def test_security_loopback_needs_no_token(host: str) -> None:
    assert is_loopback(host)
    check_binding(host, None)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "review.example.org"])
def test_security_other_addresses_need_a_token(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(BindingRefused, match="without a token"):
        check_binding(host, None)
    check_binding(host, "x" * 32)
    with pytest.raises(BindingRefused, match="at least 16"):
        check_binding(host, "short")


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("127.0.0.1:8000", "127.0.0.1"),
        ("localhost", "localhost"),
        ("[::1]:8000", "[::1]"),
        ("evil.example:80", "evil.example"),
    ],
)
def test_security_host_header_name(header: str, name: str) -> None:
    assert _host_name(header) == name
