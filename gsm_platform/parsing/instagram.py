"""Instagram Graph API media (plain or Business Discovery form) and profile -> unified schema."""

PLATFORM = "instagram"
_MEDIA = """STRUCT(id VARCHAR, "timestamp" VARCHAR, media_type VARCHAR, media_product_type VARCHAR,
                   like_count VARCHAR, comments_count VARCHAR)[]"""
RESPONSE_TYPE = f"""STRUCT(
  data {_MEDIA},
  business_discovery STRUCT(id VARCHAR, followers_count VARCHAR, media STRUCT(data {_MEDIA})),
  id VARCHAR, followers_count VARCHAR,
  error STRUCT(code VARCHAR, message VARCHAR))"""

FIELDS = {"published": "timestamp", "likes": "like_count", "comments": "comments_count"}
REQUIRED_COUNTS = ("comments",)

ERROR = "CASE WHEN r.error IS NOT NULL THEN 'code ' || coalesce(r.error.code, '?') || ': ' || coalesce(r.error.message, '') END"
POSTS_LIST = "coalesce(r.data, r.business_discovery.media.data)"
PAGE_MEDIA = None  # media are inside each post
RAW_POST = """CASE WHEN json_exists(text, '$.response.data')
                   THEN json_extract(text, '$.response.data[' || pos || ']')
                   ELSE json_extract(text, '$.response.business_discovery.media.data[' || pos || ']') END"""

# like_count 0 is what the API returns when the owner hid likes; absent is hidden too.
POST_FIELDS = """
  p.id AS post_id, p."timestamp" AS published_text,
  CASE WHEN p.media_type IN ('IMAGE', 'CAROUSEL_ALBUM') THEN 'image'
       WHEN p.media_type = 'VIDEO' THEN 'video' ELSE 'text' END AS media_kind,
  p.like_count AS likes_text, p.comments_count AS comments_text,
  NULL::VARCHAR AS shares_text, NULL::VARCHAR AS quotes_text, NULL::VARCHAR AS views_text,
  (p.like_count IS NULL OR try_cast(p.like_count AS DOUBLE) = 0) AS hidden"""

# profile envelopes, and the followers_count inside business_discovery posts envelopes
FOLLOWERS = "coalesce(r.followers_count, r.business_discovery.followers_count)"
FOLLOWERS_FIELD = "followers_count"
FOLLOWERS_HIDDEN = "false"  # the platform never hides a follower count
