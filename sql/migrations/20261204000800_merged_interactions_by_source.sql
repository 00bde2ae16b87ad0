-- Recommendation outcomes are recomputed per item from the interactions of the run's source,
-- kept and merged alike (sql/apply/recompute_outcomes.sql, by source_session_id and slug). The
-- kept ones have an index on source_session_id (20261125000500); the merged ones had none, so
-- every recomputed item scanned all of dualwrite.merged_interactions: 774 ms per target
-- transaction once a 300k-row load had merged its duplicate likes (bench/apply/diag with
-- DUALWRITE_DIAG_PREFILL=300000; bench/README.md), and the mixed workload fell behind by seconds.
CREATE INDEX IF NOT EXISTS merged_interactions_source
  ON dualwrite.merged_interactions (source_session_id, activity_slug)
  WHERE source_session_id IS NOT NULL;

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261204000800', 'merged_interactions_by_source') ON CONFLICT (version) DO NOTHING;
