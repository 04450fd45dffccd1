"""Threagile communication links (written under their source asset) become flows."""

from __future__ import annotations

from typing import Any

from threatloom.interop.draft import long_text, short, slug
from threatloom.interop.threagile.assets import TechnicalAsset
from threatloom.interop.threagile.source import Keys, Source, sentence_list
from threatloom.interop.threagile.vocabulary import (
    AUTHENTICATION,
    AUTHORIZATION,
    PLAIN_PROTOCOLS,
    SSH_PROTOCOLS,
    TLS_PROTOCOLS,
    USAGE,
)

LINK_KEYS = ("target", "description", "protocol", "authentication", "authorization", "tags", "vpn",
             "ip_filtered", "readonly", "usage", "data_assets_sent", "data_assets_received")


KNOWN_PROTOCOLS = PLAIN_PROTOCOLS | TLS_PROTOCOLS | SSH_PROTOCOLS | {"unknown-protocol"}


def link_id(source_id: str, title: str) -> str:
    """Threagile's own ID of a link (`source>title-in-lowercase`), used by risks and risk tracking."""
    return f"{source_id}>{slug(title)}"


def allocate_links(src: Source, assets: list[TechnicalAsset]) -> None:
    """Give every link its flow ID first, so that risks naming a link can find it."""
    for asset in assets:
        for title, _ in _links(src, asset):
            src.draft.new_id(title, "flow", foreign=("link", link_id(asset.foreign_id, title)))


def read_links(src: Source, assets: list[TechnicalAsset]) -> None:
    for asset in assets:
        for title, keys in _links(src, asset):
            obj = src.mapping(asset.data["communication_links"][title], keys)
            target = src.required_text(obj, "target", keys)
            destination = src.ours("technical", target, (*keys, "target"), "technical asset")
            if destination == asset.ours:
                raise src.error((*keys, "target"), f"communication link {title!r} targets its own technical asset",
                                "a link joins two technical assets; model the internal step as an asset of its own")
            sent = _data(src, obj, "data_assets_sent", keys)
            received = _data(src, obj, "data_assets_received", keys)
            protocol = src.text(obj, "protocol", keys).lower()
            authentication = src.choice(obj, "authentication", keys, AUTHENTICATION)
            vpn = src.flag(obj, "vpn", keys)
            encryption = _encryption(protocol, vpn, authentication)
            flags = [tag for tag, key in (("vpn", "vpn"), ("ip-filtered", "ip_filtered"), ("readonly", "readonly"))
                     if src.flag(obj, key, keys)]
            if src.choice(obj, "usage", keys, USAGE) == "devops":
                flags.append("devops")
            tags = [*src.names(obj, "tags", keys), *flags]
            ours = src.draft.ours("link", link_id(asset.foreign_id, title))
            src.draft.add("flows", {
                "id": ours, "name": short(title) or link_id(asset.foreign_id, title),
                "description": long_text(src.text(obj, "description", keys)),
                "source": asset.ours, "destination": destination, "protocol": short(protocol) or None,
                "authentication": AUTHENTICATION.get(authentication),
                "authorization": AUTHORIZATION.get(src.choice(obj, "authorization", keys, AUTHORIZATION)),
                "encryption": encryption, "data": list(dict.fromkeys(sent + received)),
                "bidirectional": True if received else None,  # data comes back to the source
                "tags": [short(t) for t in dict.fromkeys(tags)],
            })
            details = [f"protocol {protocol} is not one Threagile lists; encryption left unknown"
                       if protocol and protocol not in KNOWN_PROTOCOLS else "",
                       *src.extras(obj, LINK_KEYS, keys)]
            if any(details):
                src.draft.note(ours, f"technical_assets.{asset.name}.communication_links.{title}",
                               "Threagile: " + sentence_list(details) + ".")
                src.report.keep_as_note("communication link details", title)
            src.report.map("communication links")


def _links(src: Source, asset: TechnicalAsset) -> list[tuple[str, Keys]]:
    links = src.mapping(asset.data.get("communication_links"), (*asset.keys, "communication_links"))
    return [(title, (*asset.keys, "communication_links", title)) for title in links]


def _data(src: Source, obj: dict[str, Any], key: str, keys: Keys) -> list[str]:
    return [src.ours("data", d, (*keys, key, i), "data asset") for i, d in enumerate(src.names(obj, key, keys))]


def _encryption(protocol: str, vpn: bool, authentication: str) -> str:
    """In transit: the protocol's own encryption (a client certificate on TLS is mutual TLS), else the VPN."""
    if protocol in TLS_PROTOCOLS:
        return "mutual-tls" if authentication == "client-certificate" else "tls"
    if protocol in SSH_PROTOCOLS:
        return "ssh"
    if vpn:
        return "vpn"
    if protocol in ("", "unknown-protocol"):
        return "unknown"
    if protocol in PLAIN_PROTOCOLS:
        return "none"
    return "unknown"
