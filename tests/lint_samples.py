# ruff: noqa: E501  (the embedded postmortems keep their natural line lengths)
"""Fifteen well-formed, blameless, complete postmortems that lint must find clean: the house
template, the quick template, front matter, setext and numbered headings, "Corrective and
Preventative Measures", "Follow-ups", "Next steps", 5 whys as bullets / numbered list / table /
"Why?" prose / nested bullets, timelines as tables and bullet lists, and several summary and
root-cause titles. `tests/test_lint_documents.py` lints each, then breaks them one rule at a time."""

from __future__ import annotations

GOOD = {
    "postmortem-2024-01-15-payment-api-outage.md": """\
# Postmortem: Payment API outage

**Date**: 2024-01-15 | **Severity**: SEV2 | **Duration**: 47 min
**Authors**: @alice, @bob | **Status**: Final

## Executive Summary

Payments failed for 47 minutes after v2.3.4 bypassed the connection pool. Rolling back restored service.

**Impact**: 1,200 customers, 47 minutes, no data loss

## Timeline (UTC)

| Time | Event |
|-------|-------|
| 14:23 | v2.3.4 deployed to production |
| 14:31 | Alert: payment_error_rate > 5% |
| 14:33 | The engineer on call paged the DB team |
| 15:18 | Service recovered |

## Root Cause Analysis

### What happened

The deploy failed to roll out cleanly: new pods opened a connection per request. The outage was caused by a race condition in pool initialisation.

### 5 Whys

- Why did service fail? → DB connections exhausted
- Why exhausted? → Each request opened new connection
- Why new connections? → Code bypassed connection pool
- Why bypassed? → Pool API was undocumented
- Why undocumented? → No owner for the shared DB library

### Contributing factors

- The alert should have fired at 70%, but the threshold was 90%
- Staging traffic too low to expose the issue

## Action items

| Priority | Action | Owner | Due | Ticket |
|---|---|---|---|---|
| P0 | Integration test for connection pool | @alice | 2024-01-22 | ENG-1234 |
| P0 | Lower DB alert threshold to 70% | @bob | 2024-01-17 | OPS-567 |
| P1 | Document connection management patterns | @alice | 2024-01-29 | DOC-89 |
""",
    "postmortem-2024-02-10-cache-flush.md": """\
# Quick Postmortem: Cache flush thundering herd

**Date**: 2024-02-10 | **Duration**: 12 min | **Severity**: SEV3

**What happened**: Cache flush caused thundering herd — all requests missed cache simultaneously.

**Timeline**: 10:00 flush → 10:02 alerts → 10:05 identified → 10:08 warming enabled → 10:12 normal

**Root cause**: Full flush used for minor config update.

**Fixes**: Immediate: enabled warming. Long-term: partial invalidation (ENG-999).

**Lesson**: Never full-flush production cache; use targeted invalidation.
""",
    "postmortem-2024-03-02-dns-outage.md": """\
---
title: DNS outage
date: 2024-03-02
severity: SEV1
status: Final
duration: 2h 5m
authors: [carol, dave]
---

# DNS outage

## TL;DR

Internal DNS resolvers stopped answering for two hours after a zone file with a syntax error was published.

## Timeline

- 09:00 Zone file change merged
- 09:04 Resolvers reload and fail
- 09:10 Alerts fire for elevated SERVFAIL
- 11:05 Previous zone restored, resolution recovers

## Root Cause

1. Why did resolution fail? Because the resolvers could not load the zone.
2. Why could they not load it? Because the zone file had a syntax error.
3. Why was it published? Because the pipeline did not run `named-checkzone`.
4. Why was the check missing? Because the pipeline predates the validation tooling.

## Follow-ups

| Action | Owner | Due date | Jira |
|---|---|---|---|
| Add zone validation to the pipeline | @carol | 2024-03-09 | NET-101 |
| Stage reloads across resolvers | @dave | 2024-03-20 | NET-102 |
""",
    "postmortem-2024-04-18-queue-backlog.md": """\
# Postmortem: Queue backlog

**Date**: 2024-04-18 | **Severity**: SEV2 | **Duration**: 95 min
**Authors**: @erin | **Status**: Reviewed

## 1. Overview

Order confirmation emails were delayed up to 95 minutes because the consumer fleet could not keep up with a traffic spike.

## 2. Timeline

| Time (UTC) | Event |
|---|---|
| 12:00 | Marketing campaign starts |
| 12:15 | Queue depth alert |
| 13:35 | Backlog drained |

## 3. Root Cause Analysis

| # | Why | Because |
|---|---|---|
| 1 | Why were emails delayed? | The queue backed up |
| 2 | Why did it back up? | Consumers were at max replicas |
| 3 | Why at max? | The autoscaler cap was set for last year's traffic |

## 4. Corrective and Preventative Measures

| Pri | Task | Assignee | Deadline | Tracking bug |
|---|---|---|---|---|
| P1 | Raise the autoscaler cap | @erin | 2024-04-25 | OPS-88 |
| P2 | Capacity review before campaigns | @frank | 2024-05-15 | OPS-89 |
""",
    "postmortem-2024-05-06-login-errors.md": """\
# Postmortem: Login errors

**Date**: 2024-05-06
**Severity**: SEV2
**Duration**: 30 min
**Authors**: @gina
**Status**: Final

## Incident summary

Some users could not log in for 30 minutes after a certificate expired on the identity provider.

## Timeline

- **08:00** Certificate expires
- **08:05** Login failure alert
- **08:30** New certificate deployed

## What went wrong

The certificate was renewed by hand and the renewal reminder went to a retired mailbox.

## Root cause

Why did logins fail? Because the certificate had expired.
Why had it expired? Because renewal was manual.
Why was renewal manual? Because the IdP was never moved to the ACME automation.

## Remediation

| Priority | Action | Owner | Due |
|---|---|---|---|
| P1 | Move IdP certificates to ACME | @gina | 2024-05-20 |
| P2 | Alert 30 days before any certificate expiry | @hank | 2024-05-27 |
""",
    "postmortem-2024-06-11-disk-full.md": """\
# Postmortem: Disk full on log hosts

**Date**: 2024-06-11 | **Severity**: SEV3 | **Duration**: 40 min
**Authors**: @ivan | **Status**: Final

## Summary

Log ingestion stopped for 40 minutes when the log hosts ran out of disk.

## Timeline

| Time | Event |
|---|---|
| 03:10 | Disk usage at 100% |
| 03:50 | Old indices removed, ingestion resumes |

## Root Cause

### 5 Whys

- Why did ingestion stop?
  - Because the disks were full.
    - Why were the disks full?
      - Because retention was not enforced.
        - Why was retention not enforced?
          - Because the cleanup cron silently failed after the OS upgrade.

## Next steps

| P | Item | DRI | ETA | Link |
|---|---|---|---|---|
| P1 | Replace cron with a managed retention policy | @ivan | 2024-06-25 | [OBS-12](https://jira.example.com/browse/OBS-12) |
""",
    "postmortem-2024-07-01-config-push.md": """\
Postmortem: Bad config push
===========================

**Date**: 2024-07-01 | **Severity**: SEV2 | **Duration**: 22 min
**Authors**: @judy, @ken | **Status**: Final

Executive Summary
-----------------

A feature flag config with an invalid value was pushed globally and broke search for 22 minutes.

Timeline
--------

| Time | Event |
|---|---|
| 16:00 | Config pushed |
| 16:22 | Config reverted |

Root Causes
-----------

- Why did search break? → The config parser rejected the value and the service crashed.
- Why was it pushed? → Config pushes skip validation.
- Why skip? → Validation was only in the UI, not the API.

Action Items
------------

| Priority | Action | Owner | Due | Ticket |
|---|---|---|---|---|
| High | Validate configs in the API | @judy | Jul 15, 2024 | SRCH-5 |
| Medium | Stage config pushes by region | @ken | 15 Jul 2024 | SRCH-6 |
""",
    "postmortem-2024-08-20-cdn-purge.md": """\
# Postmortem: CDN purge storm

**Date**: 2024-08-20 | **Severity**: SEV2 | **Duration**: 1h
**Authors**: @lena | **Status**: Final

## Summary

A full CDN purge sent all traffic to origin for an hour.

## Timeline (UTC)

* 10:00 — Purge issued
* 10:03 — Origin CPU at 100%
* 11:00 — Cache hit ratio back to normal

## Causes

The purge API accepted a wildcard. Nothing limited the origin request rate.

## Root cause

**Why?** The origin was overloaded.
**Why?** Every edge missed at once.
**Why?** The purge covered every path because wildcards were allowed.

## Action items & follow-ups

| Priority | Action | Owner | Due | Ticket | Status |
|---|---|---|---|---|---|
| P1 | Reject wildcard purges | @lena | 2024-08-27 | CDN-1 | Done |
| P1 | Rate-limit origin fetches | @mike | 2024-09-10 | CDN-2 | In progress |
""",
    "postmortem-2024-09-03-search-latency.md": """\
# Postmortem: Search latency

**Date**: 2024-09-03 | **Severity**: SEV2 | **Duration**: 3h
**Authors**: @nina | **Status**: Final

## Executive summary

Search p99 latency tripled for three hours after a reindex job competed with live queries.

## Timeline

| Time | Event |
|---|---|
| 01:00 | Reindex job started |
| 04:00 | Job throttled, latency normal |

## Root Cause and Trigger

The trigger was a reindex job. The root cause: the job had no I/O limits.

### Five whys

1. Why was search slow? The disks were saturated.
2. Why were the disks saturated? The reindex job read at full speed.
3. Why at full speed? The job had no I/O throttle.
4. Why no throttle? The job was written for an offline cluster.

## Lessons learned

- Batch jobs on shared clusters need limits.

## Corrective actions

| Priority | Action | Owner | Due | Ticket |
|---|---|---|---|---|
| P1 | Add I/O throttling to reindex | @nina | 2024-09-17 | SRCH-40 |
| P2 | Run reindex on replicas only | @omar | 2024-10-01 | SRCH-41 |
""",
    "postmortem-2024-10-12-k8s-upgrade.md": """\
# Postmortem: Kubernetes upgrade disruption

**Date**: 2024-10-12 | **Severity**: SEV2 | **Duration**: 50 min
**Authors**: @paul, @quinn | **Status**: Final

## Summary

A node pool upgrade evicted all replicas of the checkout service at once.

## Timeline

| Time | Event |
|---|---|
| 09:00 | Upgrade started |
| 09:12 | Checkout unavailable |
| 09:50 | Replicas rescheduled |

## Root Cause Analysis

The checkout service had no PodDisruptionBudget, so the drain evicted every pod. This was not human error: the upgrade runbook did not mention PDBs.

- Why was checkout down? → All pods were evicted together
- Why together? → No PodDisruptionBudget
- Why none? → The service template did not include one

Nobody is to blame; the upgrade followed the runbook.

## Action items

| Priority | Action | Owner | Due | Ticket |
|---|---|---|---|---|
| P0 | Add PDBs to the service template | @paul | 2024-10-19 | K8S-7 |
| P1 | Add a PDB check to the upgrade runbook | @quinn | 2024-10-26 | K8S-8 |
""",
    "postmortem-2024-11-05-billing-double-charge.md": """\
# Postmortem: Billing double charge

**Date**: 2024-11-05 | **Severity**: SEV1 | **Duration**: 2h 10m
**Authors**: @rita | **Status**: Final

## Executive Summary

About 300 customers were charged twice because a retry did not carry an idempotency key.

## Timeline

| Time | Event |
|---|---|
| 13:00 | Payment provider timeouts begin |
| 13:05 | Retries start double charging |
| 15:10 | Retries disabled; refunds queued |

## Root Cause Analysis

### 5 Whys

| Why | Answer |
|---|---|
| Why were customers charged twice? | Retries created new charges |
| Why new charges? | No idempotency key on retry |
| Why no key? | The retry wrapper was generic |
| Why generic? | It was shared with non-payment calls |

### Contributing factors

- The on-call engineer had no dashboard for duplicate charges.
- The provider's timeout was 30s, longer than our client timeout.

## Action items

| Priority | Action | Owner | Due | Ticket |
|---|---|---|---|---|
| P0 | Send idempotency keys on every charge | @rita | 2024-11-12 | PAY-1 |
| P1 | Duplicate-charge dashboard | @sam | 2024-11-19 | PAY-2 |
| P1 | Align client and provider timeouts | @rita | 2024-11-26 | PAY-3 |
""",
    "postmortem-2024-12-01-cert-rotation.md": """\
# Postmortem: mTLS certificate rotation

**Date**: 2024-12-01 | **Severity**: SEV2 | **Duration**: 35 min
**Authors**: @tom | **Status**: Final

## Overview

Service-to-service calls failed for 35 minutes after the CA bundle rotated before clients picked up the new root.

## Timeline

- 07:00: CA rotation job runs
- 07:02: 5xx spike across services
- 07:35: Old root re-added to the bundle

## Root cause

Why did calls fail? The servers presented certs from the new root.
Why did clients reject them? Clients only trusted the old root.
Why only the old root? The rotation did not overlap old and new roots.

## What went well

- Alerting caught it in 2 minutes.

## Follow-up actions

| Action item | Responsible | Target date | Bug # |
|---|---|---|---|
| Overlap roots for a week during rotation | @tom | 2024-12-15 | SEC-11 |
| Add rotation dry run in staging | @uma | 2025-01-10 | SEC-12 |
""",
    "postmortem-2025-01-20-db-failover.md": """\
# Postmortem: Database failover

**Date**: 2025-01-20 | **Severity**: SEV1 | **Duration**: 18 min
**Authors**: @vic | **Status**: Final

## Summary

The primary database failed over; writes failed for 18 minutes because the app cached the old primary address.

## Timeline

| Time | Event |
|---|---|
| 22:00 | Primary host hardware fault |
| 22:01 | Replica promoted |
| 22:18 | App restarted, writes recovered |

## Root Cause

The failover itself worked; the app kept connecting to the old primary because DNS TTL was cached indefinitely by the JVM.

### 5 Whys

- Why did writes fail? → The app connected to the old primary.
- Why the old primary? → The JVM cached the DNS answer forever.
- Why forever? → `networkaddress.cache.ttl` was unset, which means infinite with a security manager.
- Why unset? → The base image did not set it.
- Why not? → There was no checklist for JVM network settings.

## Action Items

| Priority | Action | Owner | Due | Ticket |
|---|---|---|---|---|
| P0 | Set JVM DNS TTL to 30s in the base image | @vic | 2025-01-27 | DB-31 |
| P1 | Failover game day each quarter | @wes | 2025-03-01 | DB-32 |
""",
    "postmortem-2025-02-14-feature-flag.md": """\
# Postmortem: Feature flag outage

**Date**: 2025-02-14 | **Severity**: SEV2 | **Duration**: 25 min
**Authors**: @xena | **Status**: Final

## Summary

Enabling the new checkout flag for 100% of users broke checkout on older mobile clients.

## Timeline

| Time | Event |
|---|---|
| 10:00 | Flag set to 100% |
| 10:25 | Flag rolled back |

## Root Cause

- Why did checkout break? → Old clients could not parse the new response.
- Why was it served to them? → The flag did not target by client version.
- Why no version targeting? → The flag service did not support it.

The developer who shipped the change followed the rollout guide, which did not mention client versions.

## Action items

| Priority | Action | Owner | Due | Ticket | Notes |
|---|---|---|---|---|---|
| P1 | Add client-version targeting to flags | @xena | 2025-02-28 | FF-9 | needs API change |
| P2 | Add a rollout checklist | @yuri | 2025-03-07 | FF-10 | |
""",
    "postmortem-2025-03-30-backup-restore.md": """\
# Postmortem: Backup restore failure

**Date**: 2025-03-30 | **Severity**: SEV2 | **Duration**: 4h
**Authors**: @zoe | **Status**: Final

## Summary

A restore drill found that nightly backups from the last two weeks could not be restored.

## Timeline

| Time | Event |
|---|---|
| 09:00 | Restore drill starts |
| 09:30 | Restore fails: corrupt archives |
| 13:00 | Backup job fixed, fresh backup verified |

## Root cause

A compression library upgrade changed the archive format. Why did restores fail? The restore tool could not read the new format. Why wasn't that caught? Backups were never test-restored automatically. Why not? The backup job reported success on write, not on restore.

- Why did restores fail? → New archive format
- Why undetected? → No automatic restore test
- Why no test? → Success was defined as "archive written"

## Action items

| Priority | Action | Owner | Due | Ticket |
|---|---|---|---|---|
| P0 | Automatic nightly restore test | @zoe | 2025-04-06 | BAK-1 |
| P1 | Pin the compression library version | @zoe | 2025-04-13 | BAK-2 |
""",
}
