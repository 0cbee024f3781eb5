"""Facebook Graph API page posts and page profile -> the unified schema."""

from gsm_platform.parsing.sql import graph_batch, profile_item

PLATFORM = "facebook"
_NODE = "STRUCT(id VARCHAR, username VARCHAR, followers_count VARCHAR, fan_count VARCHAR)"
RESPONSE_TYPE = """STRUCT(
  data STRUCT(id VARCHAR, created_time VARCHAR, "from" STRUCT(id VARCHAR),
              attachments STRUCT(data STRUCT(media_type VARCHAR, target STRUCT(id VARCHAR))[]),
              message VARCHAR, permalink_url VARCHAR, full_picture VARCHAR,
              message_tags STRUCT(id VARCHAR, "name" VARCHAR)[],
              reactions STRUCT(summary STRUCT(total_count VARCHAR)),
              comments STRUCT(summary STRUCT(total_count VARCHAR)),
              shares STRUCT(count VARCHAR))[],
  id VARCHAR, username VARCHAR, followers_count VARCHAR, fan_count VARCHAR,
  error STRUCT(code VARCHAR, message VARCHAR, type VARCHAR, error_subcode VARCHAR,
               fbtrace_id VARCHAR))"""

FIELDS = {
    "published": "created_time",
    "likes": "reactions.summary.total_count",
    "comments": "comments.summary.total_count",
    "shares": "shares.count",
}
REQUIRED_COUNTS = ("likes", "comments")  # absent shares = 0 (METHODOLOGY)

ERROR = """CASE WHEN r.error IS NOT NULL
  THEN 'code ' || coalesce(r.error.code, '?') || ': ' || coalesce(r.error.message, '')
  || coalesce(' (' || nullif(concat_ws(', ', 'subcode ' || r.error.error_subcode, 'type ' || r.error.type,
                                'fbtrace_id ' || r.error.fbtrace_id), '') || ')', '') END"""
POSTS_LIST = "r.data"
# where the posts list sits in the envelope's JSON: the cleaning guard counts it there, apart from POSTS_LIST
POSTS_PATHS = ("$.response.data",)
PAGE_MEDIA = None  # media are inside each post
PAGE_AUTHOR = "NULL::VARCHAR"  # each post names its own author (from)
RAW_POST = "json_extract(text, '$.response.data[' || pos || ']')"

# `from` is the author: a Page's /feed also holds visitors' posts (the api source reads /posts,
# the Page's own, but a recorded /feed may be landed)
POST_FIELDS = """
  p.id AS post_id, p.created_time AS published_text,
  CASE WHEN p.attachments.data[1].media_type IN ('photo', 'album') THEN 'image'
       WHEN p.attachments.data[1].media_type = 'video' THEN 'video' ELSE 'text' END AS media_kind,
  p.reactions.summary.total_count AS likes_text, p.comments.summary.total_count AS comments_text,
  p.shares.count AS shares_text, NULL::VARCHAR AS quotes_text, NULL::VARCHAR AS views_text,
  false AS hidden,
  p."from".id AS author_id, NULL::VARCHAR AS author_name, 'from.id' AS author_field"""

# What the outlook reads of a post (parsing/details.py): permalink_url; the message (its
# @mentions) and message_tags (the Pages and people tagged, by id); the attached object's id
# (attachments target.id: a photo or video shared by two Pages keeps it), else full_picture.
DETAIL_FIELDS = """
  p.permalink_url AS permalink, p.message AS post_text,
  list_transform(p.message_tags, lambda t: t.id) AS tags, NULL::VARCHAR[] AS collaborators,
  coalesce(p.attachments.data[1].target.id, p.full_picture) AS media_ref"""

# A page node ({"id", "followers_count", "fan_count"}) is the one-item case of a `?ids=a,b` batch
# ({"<id>": node, ...}); followers_count first (fan_count counts likes of the page)
_SINGLE = "r.id IS NOT NULL OR r.followers_count IS NOT NULL OR r.fan_count IS NOT NULL"
PROFILES = f"""CASE WHEN {_SINGLE}
  THEN [{profile_item("r.id", "r.username", "coalesce(r.followers_count, r.fan_count)")}]
  ELSE {graph_batch(_NODE, "coalesce(NODE.followers_count, NODE.fan_count)")} END"""
# raw text of a listed account: the node, or the batch's pos-th node (documents keep their order)
PROFILE_RAW = """CASE WHEN json_exists(text, '$.response.id') OR json_exists(text, '$.response.followers_count')
                        OR json_exists(text, '$.response.fan_count')
                   THEN json_extract(text, '$.response') ELSE json_extract(text, '$.response.*')[pos + 1] END"""
PAGE_PROFILE = None  # a posts page carries no follower count
FOLLOWERS_FIELD = "followers_count"
