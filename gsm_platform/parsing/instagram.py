"""Instagram Graph API media (plain or Business Discovery form) and profile -> unified schema."""

from gsm_platform.parsing.sql import graph_batch, profile_item

PLATFORM = "instagram"
_MEDIA = """STRUCT(id VARCHAR, "timestamp" VARCHAR, media_type VARCHAR, media_product_type VARCHAR,
                   like_count VARCHAR, comments_count VARCHAR, username VARCHAR, owner STRUCT(id VARCHAR),
                   permalink VARCHAR, caption VARCHAR, media_url VARCHAR,
                   collaborators STRUCT(data STRUCT(id VARCHAR, username VARCHAR)[]))[]"""
_NODE = "STRUCT(id VARCHAR, username VARCHAR, followers_count VARCHAR)"
RESPONSE_TYPE = f"""STRUCT(
  data {_MEDIA},
  business_discovery STRUCT(id VARCHAR, username VARCHAR, followers_count VARCHAR, media STRUCT(data {_MEDIA})),
  id VARCHAR, username VARCHAR, followers_count VARCHAR,
  error STRUCT(code VARCHAR, message VARCHAR, type VARCHAR, error_subcode VARCHAR,
               fbtrace_id VARCHAR))"""

FIELDS = {"published": "timestamp", "likes": "like_count", "comments": "comments_count"}
REQUIRED_COUNTS = ("comments",)

ERROR = """CASE WHEN r.error IS NOT NULL
  THEN 'code ' || coalesce(r.error.code, '?') || ': ' || coalesce(r.error.message, '')
  || coalesce(' (' || nullif(concat_ws(', ', 'subcode ' || r.error.error_subcode, 'type ' || r.error.type,
                                'fbtrace_id ' || r.error.fbtrace_id), '') || ')', '') END"""
POSTS_LIST = "coalesce(r.data, r.business_discovery.media.data)"
# where the posts list sits in the envelope's JSON: the cleaning guard counts it there, apart from POSTS_LIST
POSTS_PATHS = ("$.response.data", "$.response.business_discovery.media.data")
PAGE_MEDIA = None  # media are inside each post
# a Business Discovery page is the media of the account it names: the author of each post that
# does not name its own
PAGE_AUTHOR = "r.business_discovery.id"
RAW_POST = """CASE WHEN json_exists(text, '$.response.data')
                   THEN json_extract(text, '$.response.data[' || pos || ']')
                   ELSE json_extract(text, '$.response.business_discovery.media.data[' || pos || ']') END"""

# like_count 0 is what the API returns when the owner hid likes; absent is hidden too.
# The author: owner.id (returned to the media's owner only), else the Business Discovery
# account, else username (what Business Discovery returns for others' media).
POST_FIELDS = """
  p.id AS post_id, p."timestamp" AS published_text,
  CASE WHEN p.media_type IN ('IMAGE', 'CAROUSEL_ALBUM') THEN 'image'
       WHEN p.media_type = 'VIDEO' THEN 'video' ELSE 'text' END AS media_kind,
  p.like_count AS likes_text, p.comments_count AS comments_text,
  NULL::VARCHAR AS shares_text, NULL::VARCHAR AS quotes_text, NULL::VARCHAR AS views_text,
  (p.like_count IS NULL OR try_cast(p.like_count AS DOUBLE) = 0) AS hidden,
  coalesce(p.owner.id, page_author) AS author_id, p.username AS author_name,
  CASE WHEN p.owner.id IS NOT NULL THEN 'owner.id' WHEN page_author IS NOT NULL THEN 'business_discovery.id'
       ELSE 'username' END AS author_field"""

# What the outlook reads of a post (parsing/details.py): permalink; the caption (its @mentions);
# the collaborators of a collaborative post (the `collaborators` edge: {"data": [{id, username}]}),
# by username and id; media_url.
DETAIL_FIELDS = """
  p.permalink AS permalink, p.caption AS post_text, NULL::VARCHAR[] AS tags,
  list_concat(list_transform(p.collaborators.data, lambda c: c.username),
              list_transform(p.collaborators.data, lambda c: c.id)) AS collaborators,
  p.media_url AS media_ref"""

# A profile: the Business Discovery node (the top-level id is then the caller's own account), else
# the user node; either is the one-item case of a Graph `?ids=a,b` batch.
_BD = "r.business_discovery"
PROFILES = f"""CASE WHEN {_BD} IS NOT NULL
    THEN [{profile_item(f"{_BD}.id", f"{_BD}.username", f"{_BD}.followers_count")}]
  WHEN r.id IS NOT NULL OR r.username IS NOT NULL OR r.followers_count IS NOT NULL
    THEN [{profile_item("r.id", "r.username", "r.followers_count")}]
  ELSE {graph_batch(_NODE, "NODE.followers_count")} END"""
PROFILE_RAW = """CASE WHEN json_exists(text, '$.response.business_discovery')
                   THEN json_extract(text, '$.response.business_discovery')
                   WHEN json_exists(text, '$.response.id') OR json_exists(text, '$.response.username')
                        OR json_exists(text, '$.response.followers_count') THEN json_extract(text, '$.response')
                   ELSE json_extract(text, '$.response.*')[pos + 1] END"""
# a Business Discovery posts page carries its account's follower count too
PAGE_PROFILE = f"""CASE WHEN {_BD}.followers_count IS NOT NULL
  THEN [{profile_item(f"{_BD}.id", f"{_BD}.username", f"{_BD}.followers_count")}] END"""
FOLLOWERS_FIELD = "followers_count"
