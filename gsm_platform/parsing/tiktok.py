"""TikTok Research API video query and user info -> unified schema."""

from gsm_platform.parsing.sql import profile_item

PLATFORM = "tiktok"
ACCOUNT_ID_IS_USERNAME = True  # the Research API looks accounts up by username
# ids are 64-bit integers sent as JSON numbers: typed VARCHAR, they keep every digit
RESPONSE_TYPE = """STRUCT(
  data STRUCT(videos STRUCT(id VARCHAR, video_id VARCHAR, create_time VARCHAR, username VARCHAR, view_count VARCHAR,
                            like_count VARCHAR, comment_count VARCHAR, share_count VARCHAR,
                            share_url VARCHAR, video_description VARCHAR, video_mention_list VARCHAR[])[],
              follower_count VARCHAR, username VARCHAR),
  error STRUCT(code VARCHAR, message VARCHAR, log_id VARCHAR))"""

FIELDS = {
    "published": "create_time",
    "likes": "like_count",
    "comments": "comment_count",
    "shares": "share_count",
    "views": "view_count",
}
REQUIRED_COUNTS = ("likes", "comments", "shares")

# every TikTok body carries error.code; "ok" is success
ERROR = """CASE WHEN r.error.code IS NOT NULL AND r.error.code <> 'ok'
  THEN r.error.code || ': ' || coalesce(r.error.message, '')
       || coalesce(' (log_id ' || r.error.log_id || ')', '') END"""
POSTS_LIST = "r.data.videos"
# where the posts list sits in the envelope's JSON: the cleaning guard counts it there, apart from POSTS_LIST
POSTS_PATHS = ("$.response.data.videos",)
PAGE_MEDIA = None  # media are inside each post
PAGE_AUTHOR = "NULL::VARCHAR"  # each video names its username
RAW_POST = "json_extract(text, '$.response.data.videos[' || pos || ']')"

# create_time is unix seconds; turned into an ISO text so one timestamp parse serves all.
# The id is `id` (the field the query asks for); the documentation's example response names it
# `video_id`, read when `id` is absent.
POST_FIELDS = """
  coalesce(p.id, p.video_id) AS post_id,
  CASE WHEN try_cast(p.create_time AS BIGINT) IS NOT NULL
       THEN strftime(make_timestamp(try_cast(p.create_time AS BIGINT) * 1000000), '%Y-%m-%dT%H:%M:%SZ')
       ELSE p.create_time END AS published_text,
  'video' AS media_kind,
  p.like_count AS likes_text, p.comment_count AS comments_text, p.share_count AS shares_text,
  NULL::VARCHAR AS quotes_text, p.view_count AS views_text, false AS hidden,
  NULL::VARCHAR AS author_id, p.username AS author_name, 'username' AS author_field"""

# What the outlook reads of a post (parsing/details.py): share_url, else the video's URL made from
# username and id; video_description (its @mentions) and video_mention_list.
DETAIL_FIELDS = """
  coalesce(p.share_url, 'https://www.tiktok.com/@' || p.username || '/video/' || coalesce(p.id, p.video_id))
    AS permalink,
  p.video_description AS post_text, p.video_mention_list AS tags, NULL::VARCHAR[] AS collaborators,
  NULL::VARCHAR AS media_ref"""

# user info is about the username asked for and does not name it: the one-item case
PROFILES = f"[{profile_item('NULL', 'r.data.username', 'r.data.follower_count')}]"
PROFILE_RAW = "json_extract(text, '$.response.data')"
PAGE_PROFILE = None
FOLLOWERS_FIELD = "data.follower_count"
