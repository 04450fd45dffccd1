"""Threagile's closed value lists and what each value becomes in a threatloom model.

Values come from Threagile's model documentation and type lists (`pkg/types/`); Threagile compares
them case-insensitively, and so do we. Every table says why it maps the way it does, because these
choices decide which of our rules fire on an imported model.
"""

from __future__ import annotations

# Threagile's five-step scales (confidentiality, and criticality for integrity and availability) onto
# our four levels: the two lowest steps share `low` (neither "public"/"internal" nor "archive"/
# "operational" data hurts much when disclosed, altered or lost), so the top step keeps its own level.
CONFIDENTIALITY_LEVEL = {"public": "low", "internal": "low", "restricted": "medium", "confidential": "high",
                         "strictly-confidential": "critical"}
CRITICALITY_LEVEL = {"archive": "low", "operational": "low", "important": "medium", "critical": "high",
                     "mission-critical": "critical"}
# Threagile's `restricted` lies between internal and confidential; it is rounded up to our
# `confidential` (its data is not for every employee), and `strictly-confidential` is our `restricted`.
CLASSIFICATION = {"public": "public", "internal": "internal", "restricted": "confidential",
                  "confidential": "confidential", "strictly-confidential": "restricted"}
# The more the business depends on the system, the less risk it should leave untreated: risks above
# the appetite must be treated. `important`, Threagile's middle step, keeps our default (medium).
RISK_APPETITE = {"archive": "high", "operational": "medium", "important": "medium", "critical": "low",
                 "mission-critical": "low"}

ASSET_TYPE = {"external-entity": "external-entity", "process": "process", "datastore": "data-store"}
USAGE = ("business", "devops")
QUANTITY = ("very-few", "few", "many", "very-many")
MACHINE = ("physical", "virtual", "container", "serverless")
SIZE = ("system", "service", "application", "component")
# any encryption style other than none protects the data at rest
ENCRYPTION = ("none", "transparent", "data-with-symmetric-shared-key", "data-with-asymmetric-shared-key",
              "data-with-end-user-individual-key")

# Threagile technology (with its aliases) -> our component kind. Where Threagile marks a technology as
# a web application (web-server, cms, erp, identity-provider...) we choose the kind our rules treat
# as one; clients people use become browser, desktop-app, mobile-app or workstation so that the
# client-side rules fire; stores of identities are identity providers, not plain databases.
TECHNOLOGY_KIND = {
    "unknown-technology": "other", "unknown": "other",
    "client-system": "workstation", "client": "workstation",
    "browser": "browser", "web-browser": "browser",
    "desktop": "workstation", "desktop-system": "workstation",
    "mobile-app": "mobile-app",
    "devops-client": "workstation",
    "cli": "desktop-app", "command-line": "desktop-app", "command-line-tool": "desktop-app",
    "command-line-interface": "desktop-app",
    "iot-device": "iot-device", "iot": "iot-device",
    "web-server": "web-application",
    "web-application": "web-application", "web-app": "web-application",
    "application-server": "web-application", "app-server": "web-application",
    "cms": "web-application", "content-management-system": "web-application",
    "erp": "web-application", "enterprise-resource-planning": "web-application",
    "report-engine": "web-application", "reporting": "web-application",
    "web-service-rest": "api", "rest-api": "api",
    "web-service-soap": "api", "soap-api": "api",
    "gateway": "api-gateway",
    "reverse-proxy": "reverse-proxy",
    "load-balancer": "load-balancer", "lb": "load-balancer",
    "waf": "waf", "web-application-firewall": "waf",
    "identity-provider": "identity-provider", "idp": "identity-provider",
    "identity-store-ldap": "identity-provider",
    "ldap-server": "identity-provider", "ldap": "identity-provider",
    "identity-store-database": "database", "identity-store": "database",
    "database": "database", "db": "database",
    "data-lake": "database", "big-data-platform": "database", "big-data": "database",
    "search-index": "database",
    "file-server": "file-storage", "file-storage": "file-storage",
    "local-file-system": "file-storage", "local-storage": "file-storage",
    "block-storage": "file-storage", "san": "file-storage",
    "message-queue": "queue", "mq": "queue",
    "sourcecode-repository": "source-repository", "git": "source-repository",
    "build-pipeline": "ci-cd", "ci": "ci-cd", "continuous-integration": "ci-cd",
    "artifact-registry": "artifact-registry",
    "code-inspection-platform": "service", "code-inspection": "service", "code-analysis": "service",
    "vault": "secrets-manager", "hashicorp-vault": "secrets-manager",
    "hsm": "key-management", "hardware-security-module": "key-management",
    "mail-server": "email", "email-server": "email",
    "monitoring": "monitoring", "siem": "monitoring",
    "ids": "monitoring", "intrusion-detection-system": "monitoring",
    "ips": "monitoring", "intrusion-prevention-system": "monitoring",
    "container-platform": "container-platform", "container": "container-platform",
    "docker": "container-platform", "kubernetes": "container-platform",
    "function": "function",
    "batch-processing": "worker", "stream-processing": "worker", "event-listener": "worker",
    "scheduler": "worker", "cron": "worker", "task": "worker", "job": "worker",
    "ejb": "service", "enterprise-java-beans": "service",
    "search-engine": "service", "service-mesh": "service",
    "service-registry": "service", "service-discovery": "service",
    "ai": "service", "artificial-intelligence": "service", "machine-learning": "service",
    "deep-learning": "service", "neural-network": "service", "ml": "service", "dl": "service",
    "mainframe": "service",
    "tool": "other", "utility": "other", "library": "other",
}

# Protocols Threagile counts as encrypted; the SSH family is our `ssh`, the rest TLS.
SSH_PROTOCOLS = frozenset({"ssh", "ssh-tunnel", "sftp", "scp"})
TLS_PROTOCOLS = frozenset({
    "https", "wss", "reverse-proxy-web-protocol-encrypted", "jdbc-encrypted", "odbc-encrypted",
    "sql-access-protocol-encrypted", "nosql-access-protocol-encrypted", "binary-encrypted",
    "text-encrypted", "smtp-encrypted", "pop3-encrypted", "imap-encrypted", "ftps", "ldaps",
    "smb-encrypted", "iiop-encrypted", "jrmp-encrypted"})
PLAIN_PROTOCOLS = frozenset({
    "http", "ws", "reverse-proxy-web-protocol", "mqtt", "jdbc", "odbc",
    "sql-access-protocol", "nosql-access-protocol", "binary", "text", "smtp", "pop3", "imap", "ftp",
    "ldap", "jms", "nfs", "smb", "local-file-access", "nrpe", "xmpp", "iiop", "jrmp",
    "in-process-library-call", "inter-process-communication", "container-spawning"})

# credentials: a password or PIN; two-factor: credentials plus a second factor; externalized: another
# party signs people in, which is what our `sso` stands for
AUTHENTICATION = {"none": "none", "credentials": "password", "session-id": "session", "token": "token",
                  "client-certificate": "client-certificate", "two-factor": "multi-factor",
                  "externalized": "sso"}
# a technical user is one identity with fixed rights for every caller: coarse authorization; with the
# end user's identity propagated the target can decide per person and role
AUTHORIZATION = {"none": "none", "technical-user": "coarse", "end-user-identity-propagation": "role-based"}

# Trust boundary type -> trust (0 hostile .. 10). A boundary nested in another is one more layer of
# protection (at least its parent's trust + 1); an execution environment is a logical group, not a
# protective boundary, so it has its parent's trust (5 at the top level).
BOUNDARY_TRUST = {
    "network-on-prem": 6,  # a network the organisation runs itself
    "network-dedicated-hoster": 5,  # a network run by a hoster for the organisation alone
    "network-virtual-lan": 6,  # a VLAN carved out of a larger network
    "network-cloud-provider": 5,  # a provider's network (VPC): shared infrastructure, own rules
    "network-cloud-security-group": 7,  # a rule set admitting only named traffic
    "network-policy-namespace-isolation": 7,  # cluster network policies isolating a namespace
    "execution-environment": 5,
}
LOGICAL_BOUNDARY = "execution-environment"

STRIDE = {"spoofing": "spoofing", "tampering": "tampering", "repudiation": "repudiation",
          "information-disclosure": "information-disclosure", "denial-of-service": "denial-of-service",
          "elevation-of-privilege": "elevation-of-privilege"}
# Threagile's exploitation likelihood and impact have four steps; ours five, the lowest (1) kept for
# "practically never" which Threagile cannot say
LIKELIHOOD = {"unlikely": 2, "likely": 3, "very-likely": 4, "frequent": 5}
IMPACT = {"low": 2, "medium": 3, "high": 4, "very-high": 5}
# used only when a risk gives its severity but not its likelihood and impact: a pair whose product
# falls in the matching band of our default matrix (low < 5 <= medium < 10 <= high < 17 <= critical)
SEVERITY_SCORE = {"low": (2, 2), "medium": (3, 2), "elevated": (3, 3), "high": (4, 3), "critical": (5, 4)}
DATA_BREACH_PROBABILITY = ("improbable", "possible", "probable")
RISK_FUNCTION = ("business-side", "architecture", "development", "operations")

# risk_tracking status -> (treatment, status) of a decision
TRACKING = {
    "unchecked": ("reduce", "open"),
    "in-discussion": ("reduce", "open"),
    "accepted": ("accept", "accepted"),
    "in-progress": ("reduce", "in-progress"),
    "mitigated": ("reduce", "mitigated"),
    "false-positive": ("reduce", "false-positive"),
}
