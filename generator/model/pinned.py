"""Which criteria a packet is judged against: pure lookups over a model that carries the
handbooks at the versions its packets pin (`Handbook.pinned`, filled by the workspace from git)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from .handbook import Handbook, Packet


def criteria_of(hb: Handbook, packet: Packet) -> Handbook:
    """The criteria a packet is judged against: its pinned version when known, else the current one."""
    return hb.pinned.get(packet.criteria_version, hb)


def packet_view(pinned: Handbook, current: Handbook, packets: tuple[Packet, ...]) -> Handbook:
    """The pinned criteria with today's settings (cycles, tracks, publishing rules) and these packets."""
    return replace(pinned, settings=current.settings, packets=packets, pinned={})


def with_pinned(handbook: Handbook, pinned: Mapping[str, Handbook]) -> Handbook:
    return replace(handbook, pinned=dict(pinned)) if pinned else handbook
