"""Facebook Graph API page posts and page profile -> the unified schema."""

PLATFORM = "facebook"
RESPONSE_TYPE = """STRUCT(
  data STRUCT(id VARCHAR, created_time VARCHAR,
              attachments STRUCT(data STRUCT(media_type VARCHAR)[]),
              reactions STRUCT(summary STRUCT(total_count VARCHAR)),
              comments STRUCT(summary STRUCT(total_count VARCHAR)),
              shares STRUCT(count VARCHAR))[],
  id VARCHAR, followers_count VARCHAR, fan_count VARCHAR,
  error STRUCT(code VARCHAR, message VARCHAR))"""

FIELDS = {
    "published": "created_time",
    "likes": "reactions.summary.total_count",
    "comments": "comments.summary.total_count",
    "shares": "shares.count",
}
REQUIRED_COUNTS = ("likes", "comments")  # absent shares = 0 (METHODOLOGY)

ERROR = "CASE WHEN r.error IS NOT NULL THEN 'code ' || coalesce(r.error.code, '?') || ': ' || coalesce(r.error.message, '') END"
POSTS_LIST = "r.data"
PAGE_MEDIA = None  # media are inside each post
RAW_POST = "json_extract(text, '$.response.data[' || pos || ']')"

POST_FIELDS = """
  p.id AS post_id, p.created_time AS published_text,
  CASE WHEN p.attachments.data[1].media_type IN ('photo', 'album') THEN 'image'
       WHEN p.attachments.data[1].media_type = 'video' THEN 'video' ELSE 'text' END AS media_kind,
  p.reactions.summary.total_count AS likes_text, p.comments.summary.total_count AS comments_text,
  p.shares.count AS shares_text, NULL::VARCHAR AS quotes_text, NULL::VARCHAR AS views_text,
  false AS hidden"""

FOLLOWERS = "coalesce(r.followers_count, r.fan_count)"
FOLLOWERS_FIELD = "followers_count"
FOLLOWERS_HIDDEN = "false"  # the platform never hides a follower count
