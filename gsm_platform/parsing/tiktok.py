"""TikTok Research API video query and user info -> unified schema."""

PLATFORM = "tiktok"
RESPONSE_TYPE = """STRUCT(
  data STRUCT(videos STRUCT(id VARCHAR, create_time VARCHAR, username VARCHAR, view_count VARCHAR,
                            like_count VARCHAR, comment_count VARCHAR, share_count VARCHAR)[],
              follower_count VARCHAR),
  error STRUCT(code VARCHAR, message VARCHAR))"""

FIELDS = {
    "published": "create_time",
    "likes": "like_count",
    "comments": "comment_count",
    "shares": "share_count",
    "views": "view_count",
}
REQUIRED_COUNTS = ("likes", "comments", "shares")

# every TikTok body carries error.code; "ok" is success
ERROR = "CASE WHEN r.error.code IS NOT NULL AND r.error.code <> 'ok' THEN r.error.code || ': ' || coalesce(r.error.message, '') END"
POSTS_LIST = "r.data.videos"
PAGE_MEDIA = None  # media are inside each post
RAW_POST = "json_extract(text, '$.response.data.videos[' || pos || ']')"

# create_time is unix seconds; turned into an ISO text so one timestamp parse serves all
POST_FIELDS = """
  p.id AS post_id,
  CASE WHEN try_cast(p.create_time AS BIGINT) IS NOT NULL
       THEN strftime(make_timestamp(try_cast(p.create_time AS BIGINT) * 1000000), '%Y-%m-%dT%H:%M:%SZ')
       ELSE p.create_time END AS published_text,
  'video' AS media_kind,
  p.like_count AS likes_text, p.comment_count AS comments_text, p.share_count AS shares_text,
  NULL::VARCHAR AS quotes_text, p.view_count AS views_text, false AS hidden"""

FOLLOWERS = "r.data.follower_count"
FOLLOWERS_FIELD = "data.follower_count"
FOLLOWERS_HIDDEN = "false"  # the platform never hides a follower count
