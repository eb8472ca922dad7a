"""The stack configuration: each key declared once, the dev/prod profile, validation.

Not a tier: the tiers in components/ take plain typed arguments; this package turns a
stack's `chainlink-node-aws:` keys into those (see README "Configuration").

  keys.py      every key as a StackConfig field (name, type, parser, default, doc)
  profile.py   every difference between dev and prod
  parsers.py   value parsers (the node's own rules come from the host agent)
  load.py      validation: one line per bad key; the namespace is stripped here only
  docs.py      the README table and Pulumi.yaml's `config:` block, generated
"""

from stack_config.keys import (FROM_PROFILE, NAMESPACE, OPTIONAL, SETTINGS, SETTINGS_BY_KEY,
                               Setting, StackConfig)
from stack_config.load import (ConfigError, load_from_pulumi, namespaced, offline_placeholder,
                               parse_full_config, UNCHECKED,
                               own_keys,
                               parse_stack_config, split_namespace)
from stack_config.parsers import LOG_RETENTION_DAYS, SecretValue, parse_chainlink_version
from stack_config.profile import (DEV, ENVIRONMENTS, PROD, PROD_MIN_BACKUP_RETENTION_DAYS,
                                  PROFILES, EnvironmentProfile)

__all__ = ["FROM_PROFILE", "NAMESPACE", "OPTIONAL", "SETTINGS", "SETTINGS_BY_KEY", "Setting",
           "StackConfig", "ConfigError", "load_from_pulumi", "namespaced", "offline_placeholder", "parse_full_config", "UNCHECKED", "own_keys",
           "parse_stack_config", "split_namespace", "LOG_RETENTION_DAYS", "SecretValue",
           "parse_chainlink_version", "DEV", "ENVIRONMENTS", "PROD",
           "PROD_MIN_BACKUP_RETENTION_DAYS", "PROFILES", "EnvironmentProfile"]
