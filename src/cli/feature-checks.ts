/**
 * The features whose config checks (src/config/checks.ts) a command that validates a config must run,
 * loaded for their registration: `hub config check` and the other commands that read a config without
 * building the hub would otherwise check the schema only. A feature that registers a check is added here
 * (test/config.test.ts runs `hub config check` against each).
 */
import '../credentials/config.ts';
import '../ewp/settings.ts';
import '../feeds/consumers.ts';
import '../privacy/config.ts';
import '../webhooks/config.ts';
import '../emrex/client/settings.ts';
import '../emrex/contact-point/settings.ts';
