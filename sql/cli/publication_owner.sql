-- `dualwrite decommission`: the bridge's publication, when it exists (no row when it does not),
-- and whether this role may drop it (only its owner, or a member of the owner's role, may).
-- Returns one row: whether the role connected has the owner's privileges, the owner's name.
--   $1  the publication's name ([source] publication)
SELECT pg_has_role(pubowner, 'USAGE'), pubowner::regrole::text
  FROM pg_publication
 WHERE pubname = $1::name
