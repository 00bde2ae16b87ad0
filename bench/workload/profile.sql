-- pgbench: profile and account changes.
\set uid random(1, 2000)
\set r random(1, 100)
INSERT INTO public.user_attributes (user_id, display_name, locale, country, age_range, preferences)
VALUES (md5('user' || :uid)::uuid, 'User ' || :uid, 'en-GB', 'PT',
        (ARRAY['18-24','25-34','35-44','45-54','55-64','65+'])[1 + :r % 6],
        jsonb_build_object('notifications', jsonb_build_object('email', :r % 2 = 0), 'theme', 'dark'))
ON CONFLICT (user_id) DO UPDATE SET display_name = EXCLUDED.display_name || '*', updated_at = now();
INSERT INTO public.account_metadata (account_id, status, onboarding_state)
SELECT account_id, (ARRAY['active','suspended','active','deleted'])[1 + :r % 4], jsonb_build_object('step', :r)
  FROM public.account_linkages WHERE user_id = md5('user' || :uid)::uuid
ON CONFLICT (account_id) DO UPDATE SET status = EXCLUDED.status, updated_at = now();
