-- Before COMMIT of an apply transaction that deleted links (link_delete.sql): the scratch table
-- holds nothing between transactions (migration 20261204000700). Only this transaction's rows are
-- visible to it, so only those go. Returns no rows.
DELETE FROM dualwrite.apply_deleted_links;
