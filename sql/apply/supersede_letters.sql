-- A later DELETE supersedes the unresolved insert/update letters of the rows it deletes: retrying
-- them would bring a deleted row back. They are marked resolved, never deleted. $1 the legacy
-- table, $2 the keys the delete op names (text[]: the target id where the mapping derives one).
-- Returns (reason, count) of the letters it resolved.
WITH superseded AS (
  UPDATE dualwrite.dead_letters d
     SET resolved_at = now(),
         detail = coalesce(d.detail, '') || ' [superseded: the row was deleted later]'
   WHERE d.resolved_at IS NULL AND d.source_table = $1 AND d.operation IN ('insert', 'update')
     AND (CASE d.source_table
            WHEN 'activity_feedback' THEN uuid_generate_v5(
              'b8d3c6a2-5f1e-4c07-9e3a-6d2f1a0b7c45', 'activity_feedback:' || (d.new_row ->> 'id'))::text
            WHEN 'offline_likes' THEN uuid_generate_v5(
              'b8d3c6a2-5f1e-4c07-9e3a-6d2f1a0b7c45',
              'offline_likes:' || (d.new_row ->> 'user_id') || ':' || (d.new_row ->> 'activity_slug'))::text
            WHEN 'user_attributes' THEN d.new_row ->> 'user_id'
            WHEN 'conversation_context' THEN d.new_row ->> 'conversation_id'
            ELSE d.new_row ->> 'id'
          END) = ANY($2::text[])
  RETURNING d.reason
)
SELECT reason, count(*) FROM superseded GROUP BY reason;
