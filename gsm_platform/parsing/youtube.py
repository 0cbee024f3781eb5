"""YouTube Data API v3 videos.list and channels.list -> unified schema."""

from gsm_platform.parsing.sql import profile_item

PLATFORM = "youtube"
RESPONSE_TYPE = """STRUCT(
  items STRUCT(id VARCHAR, snippet STRUCT(publishedAt VARCHAR, channelId VARCHAR, title VARCHAR, description VARCHAR),
               statistics STRUCT(viewCount VARCHAR, likeCount VARCHAR, commentCount VARCHAR,
                                 subscriberCount VARCHAR, hiddenSubscriberCount BOOLEAN))[],
  error STRUCT(code VARCHAR, message VARCHAR, status VARCHAR, errors STRUCT(reason VARCHAR)[]))"""

FIELDS = {
    "published": "snippet.publishedAt",
    "likes": "statistics.likeCount",
    "comments": "statistics.commentCount",
    "views": "statistics.viewCount",
}
REQUIRED_COUNTS = ()  # likeCount absent = hidden, commentCount absent = 0

ERROR = """CASE WHEN r.error IS NOT NULL
  THEN 'code ' || coalesce(r.error.code, '?') || ': ' || coalesce(r.error.message, '')
  || coalesce(' (' || nullif(concat_ws(', ', 'reason ' || r.error.errors[1].reason, 'status ' || r.error.status), '')
              || ')', '') END"""
POSTS_LIST = "r.items"
# where the posts list sits in the envelope's JSON: the cleaning guard counts it there, apart from POSTS_LIST
POSTS_PATHS = ("$.response.items",)
PAGE_MEDIA = None  # media are inside each post
PAGE_AUTHOR = "NULL::VARCHAR"  # each video names its channel
RAW_POST = "json_extract(text, '$.response.items[' || pos || ']')"

# videos.list returns whatever channel owns each id asked for: snippet.channelId is the author
POST_FIELDS = """
  p.id AS post_id, p.snippet.publishedAt AS published_text, 'video' AS media_kind,
  p.statistics.likeCount AS likes_text, p.statistics.commentCount AS comments_text,
  NULL::VARCHAR AS shares_text, NULL::VARCHAR AS quotes_text, p.statistics.viewCount AS views_text,
  (p.statistics.likeCount IS NULL) AS hidden,
  p.snippet.channelId AS author_id, NULL::VARCHAR AS author_name, 'snippet.channelId' AS author_field"""

# What the outlook reads of a post (parsing/details.py): the watch URL of the video id; title and
# description (their @mentions). A video lives on one channel: no media shared between accounts.
DETAIL_FIELDS = """
  'https://www.youtube.com/watch?v=' || p.id AS permalink,
  concat_ws(' ', p.snippet.title, p.snippet.description) AS post_text,
  NULL::VARCHAR[] AS tags, NULL::VARCHAR[] AS collaborators, NULL::VARCHAR AS media_ref"""

# channels.list lists one channel per id asked for, in no promised order: each is matched by id.
# A channel may hide its subscriber count: its audience is unknown, not zero.
PROFILES = f"""list_transform(r.items, lambda i: {
    profile_item("i.id", "NULL", "i.statistics.subscriberCount", "coalesce(i.statistics.hiddenSubscriberCount, false)")
})"""
PROFILE_RAW = RAW_POST
PAGE_PROFILE = None
FOLLOWERS_FIELD = "items[].statistics.subscriberCount"
