"""The CRM in and out: HTTP ingest of events and CRM webhooks (`leadflow ingest`), the
declarative mappings from a source's JSON to leadflow events, and the owner write-back to
the CRM (`leadflow sink`). A shell around the core: every event is validated by the core's
own parser (`routing.events`), and no rule of the policy is decided here."""
