"""OWASP Threat Dragon: import version 1 and 2 models, export version 2.

Import (:mod:`.importer`), element by element:

==========================  ==================================================================
Threat Dragon               threatloom
==========================  ==================================================================
summary title/owner/desc.   system name, owner, description (`release_version`: system version)
contributors, reviewer      system team (role from the name's words); the reviewer also a note
diagrams                    all of them, into one model; a note per diagram (title, type, text)
trust boundary box          zone; elements whose centre lies in the box belong to it, boxes
                            inside boxes nest (:mod:`.geometry`); trust 0 and `internet` for a
                            box named for the internet, else 5, one more per nesting level
trust boundary curve        a note: a line cannot say which side an element is on, so no zone
actor                       an environment party when its name names people (customer, staff…),
                            else an external-entity component (browser, identity provider…)
process / store             component, `kind` from the flags (isWebApplication, isALog) or the
                            name's words (worker, queue, config…), else service / other
flow                        flow (source, destination); one missing an end, or joining an
                            element to itself, is a note
isEncrypted                 store: encryption_at_rest true; flow: encryption tls (ssh, vpn or
                            mutual-tls when the protocol says so); false records nothing
                            (Threat Dragon writes false by default), unless the protocol is TLS
storesCredentials           the store stores the asset `credentials`
handlesCardPayment          the process processes `payment-card-data`, tag handles-card-payment
isPublicNetwork             tag public-network; the destination component is internet_facing
isBidirectional, protocol   bidirectional, protocol
isSigned, storesInventory,  tags signed, stores-inventory, handles-goods-or-services; on a party
handlesGoodsOrServices,     also provides-authentication (a component becomes an identity
providesAuthentication      provider instead)
outOfScope + reason         components: out_of_scope and its reason; flows and parties, which
                            have no such field: tag out-of-scope and a note
privilegeLevel, other keys  notes about the element
threats (data.threats and   manual threats, mitigation controls and decisions
on the cell)                (:mod:`.threat_import`)
text blocks                 notes
data.threatloom             what a threatloom export keeps there (zone trust, component kind,
                            party kind and trust), read back instead of guessed (:mod:`.hints`)
cell IDs                    kept as element IDs when they are readable IDs (an export read back),
                            else IDs from names; Threat Dragon's UUIDs are not kept
==========================  ==================================================================

Export (:mod:`.exporter`): one version 2 diagram laid out on a grid by zone (:mod:`.layout`).
"""

from __future__ import annotations

from threatloom.interop.threat_dragon.exporter import ThreatDragonExporter
from threatloom.interop.threat_dragon.importer import ThreatDragonImporter

importer = ThreatDragonImporter()
exporter = ThreatDragonExporter()

__all__ = ["exporter", "importer"]
