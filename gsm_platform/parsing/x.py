"""X API v2 user tweets (with media expansions), tweet lookups, user profile and user lookups ->
unified schema."""

from gsm_platform.parsing.sql import profile_item

PLATFORM = "x"
RESPONSE_TYPE = """STRUCT(
  data JSON,
  includes STRUCT(media STRUCT(media_key VARCHAR, "type" VARCHAR, public_metrics STRUCT(view_count VARCHAR))[]),
  errors STRUCT(message VARCHAR, title VARCHAR, detail VARCHAR)[],
  title VARCHAR, detail VARCHAR, status VARCHAR)"""
# `data` is a list (a timeline, a lookup by ids) or one object (GET /2/tweets/:id, /2/users/:id),
# of tweets in a posts body and of users in a profile body: typed per kind, one object being the
# one-item case of the list. Ids are typed VARCHAR: a JSON number past 2^53 keeps all its digits.
TWEET_TYPE = """STRUCT(id VARCHAR, author_id VARCHAR, created_at VARCHAR, attachments STRUCT(media_keys VARCHAR[]),
  public_metrics STRUCT(retweet_count VARCHAR, reply_count VARCHAR, like_count VARCHAR, quote_count VARCHAR),
  "text" VARCHAR, entities STRUCT(mentions STRUCT(username VARCHAR, id VARCHAR)[]))"""
USER_TYPE = """STRUCT(id VARCHAR, username VARCHAR, public_metrics STRUCT(followers_count VARCHAR))"""


def _items(item_type: str) -> str:
    return (
        f"CASE WHEN starts_with(r.data::VARCHAR, '{{') THEN [try_cast(r.data AS {item_type})] "
        f"ELSE try_cast(r.data AS {item_type}[]) END"
    )


FIELDS = {
    "published": "created_at",
    "likes": "public_metrics.like_count",
    "comments": "public_metrics.reply_count",
    "shares": "public_metrics.retweet_count",
    "quotes": "public_metrics.quote_count",
    "views": "includes.media[].public_metrics.view_count",
}
REQUIRED_COUNTS = ("likes", "comments", "shares", "quotes")

# an error body has no data: {"errors": [...]} or {"title": ..., "status": 401}
ERROR = """CASE WHEN r.data IS NULL AND (r.errors IS NOT NULL OR r.title IS NOT NULL)
  THEN coalesce(r.errors[1].title || ': ' || r.errors[1].detail, r.errors[1].message,
                r.title || ': ' || coalesce(r.detail, ''), 'error') END"""
POSTS_LIST = _items(TWEET_TYPE)
# where the posts list sits in the envelope's JSON: the cleaning guard counts it there, apart from POSTS_LIST
# (a single tweet object there is the one-item case)
POSTS_PATHS = ("$.response.data",)
PAGE_AUTHOR = "NULL::VARCHAR"  # each tweet names its author (author_id)
RAW_POST = """CASE WHEN json_type(text, '$.response.data') = 'OBJECT' THEN json_extract(text, '$.response.data')
                   ELSE json_extract(text, '$.response.data[' || pos || ']') END"""

# media are listed once per page (includes.media), not inside the tweets: they are unnested
# once per page and joined to each tweet by its first media key as `media` (the first of the
# page's media with that key). Carrying the page's media list beside every tweet and searching
# it per tweet was quadratic in the page size (docs/scale.md).
PAGE_MEDIA = "r.includes.media"
POST_MEDIA_KEY = "p.attachments.media_keys[1]"
# the first attached media decides the kind; its view_count (videos) is the post's views
POST_FIELDS = """
  p.id AS post_id, p.created_at AS published_text,
  CASE WHEN media."type" = 'photo' THEN 'image'
       WHEN media."type" IN ('video', 'animated_gif') THEN 'video' ELSE 'text' END AS media_kind,
  p.public_metrics.like_count AS likes_text, p.public_metrics.reply_count AS comments_text,
  p.public_metrics.retweet_count AS shares_text, p.public_metrics.quote_count AS quotes_text,
  CASE WHEN media."type" IN ('video', 'animated_gif') THEN media.public_metrics.view_count END AS views_text,
  false AS hidden,
  p.author_id AS author_id, NULL::VARCHAR AS author_name, 'author_id' AS author_field"""

# What the outlook reads of a post (parsing/details.py): X API v2 has no permalink field, the
# status URL is made from the id (x.com/i/web/status/<id> needs no username); the text (its
# @mentions) and entities.mentions (username and id); the first attached media_key (an upload
# shared with another account keeps its key).
DETAIL_FIELDS = """
  'https://x.com/i/web/status/' || p.id AS permalink, p."text" AS post_text,
  list_concat(list_transform(p.entities.mentions, lambda m: m.username),
              list_transform(p.entities.mentions, lambda m: m.id)) AS tags,
  NULL::VARCHAR[] AS collaborators, p.attachments.media_keys[1] AS media_ref"""

_USER = profile_item("u.id", "u.username", "u.public_metrics.followers_count")
PROFILES = f"list_transform({_items(USER_TYPE)}, lambda u: {_USER})"
PROFILE_RAW = RAW_POST
PAGE_PROFILE = None
FOLLOWERS_FIELD = "data.public_metrics.followers_count"
