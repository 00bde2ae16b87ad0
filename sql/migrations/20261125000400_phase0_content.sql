-- Phase 0, step 4: Content. `activities` stays in place (legacy-schema.md); this adds the
-- proposal's columns to it and creates the catalog tables around it.
--
-- Adding the columns is cheap on the live table: every new column is nullable or has a
-- non-volatile default, so PostgreSQL stores the default in the catalog and rewrites nothing;
-- the lock is a brief ACCESS EXCLUSIVE. The status backfill touches 40 k rows once.

CREATE TABLE IF NOT EXISTS public.activity_locations (
  id           uuid             NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  city         text,
  region       text,
  -- ISO 3166-1 alpha-2, like activities.country
  country      text             NOT NULL,
  latitude     double precision CHECK (latitude  BETWEEN -90  AND 90),
  longitude    double precision CHECK (longitude BETWEEN -180 AND 180),
  -- bounding box in degrees; all four or none
  bbox_min_lat double precision,
  bbox_min_lng double precision,
  bbox_max_lat double precision,
  bbox_max_lng double precision,
  created_at   timestamptz      NOT NULL DEFAULT now(),
  CONSTRAINT activity_locations_bbox_complete CHECK (
    num_nulls(bbox_min_lat, bbox_min_lng, bbox_max_lat, bbox_max_lng) IN (0, 4)),
  CONSTRAINT activity_locations_bbox_ordered CHECK (
    bbox_min_lat <= bbox_max_lat AND bbox_min_lng <= bbox_max_lng)
);
CREATE INDEX IF NOT EXISTS activity_locations_country_city ON public.activity_locations (country, city);

DO $mig$
BEGIN
  -- status is added and backfilled in one step, and only once: after Phase 0 the two columns
  -- are maintained separately (the legacy app writes is_published, new code writes status), so a
  -- re-run must not re-derive status from is_published.
  IF NOT EXISTS (SELECT FROM information_schema.columns
                  WHERE table_schema = 'public' AND table_name = 'activities' AND column_name = 'status') THEN
    ALTER TABLE public.activities
      ADD COLUMN status public.activity_status NOT NULL DEFAULT 'draft';
    UPDATE public.activities SET status = 'published' WHERE is_published;
  END IF;
END
$mig$;

ALTER TABLE public.activities
  ADD COLUMN IF NOT EXISTS location_id  uuid REFERENCES public.activity_locations (id) ON DELETE SET NULL,
  -- 0 = free ... 4 = luxury; a small ordinal, so "at most tier 2" is a range predicate
  ADD COLUMN IF NOT EXISTS pricing_tier smallint CONSTRAINT activities_pricing_tier_range CHECK (pricing_tier BETWEEN 0 AND 4),
  ADD COLUMN IF NOT EXISTS metadata     jsonb       NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN IF NOT EXISTS updated_at   timestamptz NOT NULL DEFAULT now();
COMMENT ON COLUMN public.activities.status IS
  'Backfilled once from is_published in Phase 0; is_published stays authoritative for the legacy app until Phase 3.';
COMMENT ON COLUMN public.activities.pricing_tier IS '0 = free, 1 = budget, 2 = moderate, 3 = premium, 4 = luxury.';

-- activities(slug) is the index of the legacy UNIQUE constraint; no second one.
CREATE INDEX IF NOT EXISTS activities_status ON public.activities (status);
CREATE INDEX IF NOT EXISTS activities_location_id ON public.activities (location_id) WHERE location_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS public.activity_categories (
  id         uuid        NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  slug       text        NOT NULL UNIQUE,
  name       text        NOT NULL,
  -- RESTRICT: deleting a category that still has children must be a decision, not a cascade.
  parent_id  uuid        REFERENCES public.activity_categories (id) ON DELETE RESTRICT,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT activity_categories_not_own_parent CHECK (parent_id <> id)
);
CREATE INDEX IF NOT EXISTS activity_categories_parent_id
  ON public.activity_categories (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS public.activity_category_map (
  activity_id uuid NOT NULL REFERENCES public.activities (id) ON DELETE CASCADE,
  category_id uuid NOT NULL REFERENCES public.activity_categories (id) ON DELETE CASCADE,
  PRIMARY KEY (activity_id, category_id)
);
-- "activities of a category", and the FK's index for category deletes.
CREATE INDEX IF NOT EXISTS activity_category_map_category_activity
  ON public.activity_category_map (category_id, activity_id);

CREATE TABLE IF NOT EXISTS public.activity_assets (
  id          uuid              NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  activity_id uuid              NOT NULL REFERENCES public.activities (id) ON DELETE CASCADE,
  asset_type  public.asset_type NOT NULL,
  url         text              NOT NULL,
  metadata    jsonb             NOT NULL DEFAULT '{}'::jsonb,
  is_deleted  boolean           NOT NULL DEFAULT false,
  created_at  timestamptz       NOT NULL DEFAULT now()
);
-- Serves the FK (activity deletes) and "live assets of an activity".
CREATE INDEX IF NOT EXISTS activity_assets_activity_id ON public.activity_assets (activity_id);

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261125000400', 'phase0_content') ON CONFLICT (version) DO NOTHING;
