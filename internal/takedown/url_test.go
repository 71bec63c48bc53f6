package takedown_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// Expected contents, spelled out here rather than built by the package so
// that a change to a canonical form shows up as a failing test.
var (
	ytVideo     = takedown.Content{Platform: takedown.YouTube, ID: "dQw4w9WgXcQ", URL: "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}
	tgPost      = takedown.Content{Platform: takedown.Telegram, ID: "durov/123", URL: "https://t.me/durov/123"}
	tgPrivate   = takedown.Content{Platform: takedown.Telegram, ID: "c/1234567890/42", URL: "https://t.me/c/1234567890/42"}
	xPost       = takedown.Content{Platform: takedown.X, ID: "1445078208190291968", URL: "https://x.com/i/status/1445078208190291968"}
	fbPost      = takedown.Content{Platform: takedown.Meta, ID: "facebook/10102577175875681", URL: "https://www.facebook.com/zuck/posts/10102577175875681"}
	fbPfbid     = takedown.Content{Platform: takedown.Meta, ID: "facebook/pfbid02xYzAbC123", URL: "https://www.facebook.com/SomePage/posts/pfbid02xYzAbC123"}
	fbPermalink = takedown.Content{Platform: takedown.Meta, ID: "facebook/10102577175875681", URL: "https://www.facebook.com/permalink.php?story_fbid=10102577175875681&id=4"}
	fbWatch     = takedown.Content{Platform: takedown.Meta, ID: "fbwatch/abcDEF1-_2", URL: "https://fb.watch/abcDEF1-_2/"}
	igPost      = takedown.Content{Platform: takedown.Meta, ID: "instagram/CxYz_-12AbC", URL: "https://www.instagram.com/p/CxYz_-12AbC/"}
	thPost      = takedown.Content{Platform: takedown.Meta, ID: "threads/C8abc_-1XyZ", URL: "https://www.threads.net/@zuck/post/C8abc_-1XyZ"}
	thShort     = takedown.Content{Platform: takedown.Meta, ID: "threads/C8abc_-1XyZ", URL: "https://www.threads.net/t/C8abc_-1XyZ"}
)

type parseURLCase struct {
	name    string
	in      string
	want    takedown.Content
	wantErr error // ErrMalformedURL or ErrUnsupportedURL; nil for success
}

// parseURLCases also seeds FuzzParseURL.
var parseURLCases = []parseURLCase{
	// YouTube
	{name: "youtube watch", in: "https://www.youtube.com/watch?v=dQw4w9WgXcQ", want: ytVideo},
	{name: "youtube watch without www", in: "https://youtube.com/watch?v=dQw4w9WgXcQ", want: ytVideo},
	{name: "youtube watch without scheme", in: "youtube.com/watch?v=dQw4w9WgXcQ", want: ytVideo},
	{name: "youtube watch over http", in: "http://www.youtube.com/watch?v=dQw4w9WgXcQ", want: ytVideo},
	{name: "youtube watch v not first", in: "https://www.youtube.com/watch?feature=share&v=dQw4w9WgXcQ&t=42s", want: ytVideo},
	{name: "youtube watch v repeated identically", in: "https://www.youtube.com/watch?v=dQw4w9WgXcQ&v=dQw4w9WgXcQ", want: ytVideo},
	{name: "youtube watch trailing slash", in: "https://www.youtube.com/watch/?v=dQw4w9WgXcQ", want: ytVideo},
	{name: "youtube watch fragment", in: "https://www.youtube.com/watch?v=dQw4w9WgXcQ#t=10", want: ytVideo},
	{name: "youtube mobile", in: "https://m.youtube.com/watch?v=dQw4w9WgXcQ&feature=youtu.be", want: ytVideo},
	{name: "youtube music", in: "https://music.youtube.com/watch?v=dQw4w9WgXcQ&list=RDAMVM", want: ytVideo},
	{name: "youtube upper-case host and scheme", in: "HTTPS://WWW.YouTube.COM/watch?v=dQw4w9WgXcQ", want: ytVideo},
	{name: "youtube host with trailing dot", in: "https://www.youtube.com./watch?v=dQw4w9WgXcQ", want: ytVideo},
	{name: "youtube default port", in: "https://www.youtube.com:443/watch?v=dQw4w9WgXcQ", want: ytVideo},
	{name: "youtube surrounding whitespace", in: " \t https://youtu.be/dQw4w9WgXcQ \r\n", want: ytVideo},
	{name: "youtu.be", in: "https://youtu.be/dQw4w9WgXcQ", want: ytVideo},
	{name: "youtu.be with share params", in: "youtu.be/dQw4w9WgXcQ?si=AbCdEf&t=30", want: ytVideo},
	{name: "youtube shorts", in: "https://www.youtube.com/shorts/dQw4w9WgXcQ", want: ytVideo},
	{name: "youtube shorts trailing slash and params", in: "https://youtube.com/shorts/dQw4w9WgXcQ/?feature=share", want: ytVideo},
	{name: "youtube embed", in: "https://www.youtube.com/embed/dQw4w9WgXcQ?start=3", want: ytVideo},
	{name: "youtube live", in: "https://www.youtube.com/live/dQw4w9WgXcQ?si=x", want: ytVideo},
	{name: "youtube nocookie embed", in: "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ", want: ytVideo},
	{name: "youtube nocookie without www", in: "https://youtube-nocookie.com/embed/dQw4w9WgXcQ", want: ytVideo},
	{name: "youtube id case and punctuation kept", in: "https://youtu.be/a-b_C1d2E3f",
		want: takedown.Content{Platform: takedown.YouTube, ID: "a-b_C1d2E3f", URL: "https://www.youtube.com/watch?v=a-b_C1d2E3f"}},
	{name: "youtube watch without v", in: "https://www.youtube.com/watch?list=PL123", wantErr: takedown.ErrUnsupportedURL},
	{name: "youtube watch conflicting v", in: "https://www.youtube.com/watch?v=dQw4w9WgXcQ&v=aaaaaaaaaaa", wantErr: takedown.ErrUnsupportedURL},
	{name: "youtube id too short", in: "https://www.youtube.com/watch?v=dQw4w9WgXc", wantErr: takedown.ErrUnsupportedURL},
	{name: "youtube id too long", in: "https://youtu.be/dQw4w9WgXcQQ", wantErr: takedown.ErrUnsupportedURL},
	{name: "youtube id bad character", in: "https://youtu.be/dQw4w9WgX.Q", wantErr: takedown.ErrUnsupportedURL},
	{name: "youtube id encoded slash", in: "https://youtu.be/dQw4w%2F9WgX", wantErr: takedown.ErrUnsupportedURL},
	{name: "youtube handle page", in: "https://www.youtube.com/@SomeChannel", wantErr: takedown.ErrUnsupportedURL},
	{name: "youtube channel page", in: "https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw", wantErr: takedown.ErrUnsupportedURL},
	{name: "youtube playlist", in: "https://www.youtube.com/playlist?list=PL123", wantErr: takedown.ErrUnsupportedURL},
	{name: "youtube search", in: "https://www.youtube.com/results?search_query=x", wantErr: takedown.ErrUnsupportedURL},
	{name: "youtube home", in: "https://www.youtube.com/", wantErr: takedown.ErrUnsupportedURL},
	{name: "youtube playlist embed", in: "https://www.youtube.com/embed/videoseries?list=PL123", wantErr: takedown.ErrUnsupportedURL},
	{name: "youtube shorts without id", in: "https://www.youtube.com/shorts/", wantErr: takedown.ErrUnsupportedURL},
	{name: "youtube shorts with extra segment", in: "https://www.youtube.com/shorts/dQw4w9WgXcQ/extra", wantErr: takedown.ErrUnsupportedURL},
	{name: "youtu.be without id", in: "https://youtu.be/", wantErr: takedown.ErrUnsupportedURL},
	{name: "youtu.be with extra segment", in: "https://youtu.be/dQw4w9WgXcQ/x", wantErr: takedown.ErrUnsupportedURL},
	{name: "youtube nocookie watch", in: "https://www.youtube-nocookie.com/watch?v=dQw4w9WgXcQ", wantErr: takedown.ErrUnsupportedURL},
	{name: "youtube unknown subdomain", in: "https://www.m.youtube.com/watch?v=dQw4w9WgXcQ", wantErr: takedown.ErrUnsupportedURL},

	// Telegram
	{name: "telegram post", in: "https://t.me/durov/123", want: tgPost},
	{name: "telegram post without scheme", in: "t.me/durov/123", want: tgPost},
	{name: "telegram channel case folded", in: "https://t.me/Durov/123", want: tgPost},
	{name: "telegram preview form", in: "https://t.me/s/durov/123", want: tgPost},
	{name: "telegram.me", in: "https://telegram.me/durov/123", want: tgPost},
	{name: "telegram www", in: "https://www.t.me/durov/123", want: tgPost},
	{name: "telegram.me www", in: "http://www.telegram.me/DUROV/123/", want: tgPost},
	{name: "telegram single", in: "https://t.me/durov/123?single", want: tgPost},
	{name: "telegram comment", in: "https://t.me/durov/123?comment=5", want: tgPost},
	{name: "telegram leading zeros", in: "https://t.me/durov/000123", want: tgPost},
	{name: "telegram scheme-relative", in: "//t.me/durov/123", want: tgPost},
	{name: "telegram host and port without scheme", in: "t.me:443/durov/123", want: tgPost},
	{name: "telegram http default port", in: "http://t.me:80/durov/123", want: tgPost},
	{name: "telegram shortest channel", in: "https://t.me/abcd/1",
		want: takedown.Content{Platform: takedown.Telegram, ID: "abcd/1", URL: "https://t.me/abcd/1"}},
	{name: "telegram longest channel", in: "https://t.me/A" + strings.Repeat("b_", 15) + "9/7",
		want: takedown.Content{Platform: takedown.Telegram, ID: "a" + strings.Repeat("b_", 15) + "9/7", URL: "https://t.me/a" + strings.Repeat("b_", 15) + "9/7"}},
	{name: "telegram private", in: "https://t.me/c/1234567890/42", want: tgPrivate},
	{name: "telegram private with thread", in: "t.me/c/1234567890/42?thread=7", want: tgPrivate},
	{name: "telegram channel page", in: "https://t.me/durov", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram preview channel page", in: "https://t.me/s/durov", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram preview without channel", in: "https://t.me/s/", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram home", in: "https://t.me", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram invite", in: "https://t.me/+AbCdEfGh123", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram joinchat", in: "https://t.me/joinchat/AbCdEfGh123", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram stickers", in: "https://t.me/addstickers/SomePack", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram service path with number", in: "https://t.me/share/123", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram channel too short", in: "https://t.me/abc/1", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram channel too long", in: "https://t.me/a" + strings.Repeat("b", 32) + "/1", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram channel starts with digit", in: "https://t.me/1durov/1", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram channel with hyphen", in: "https://t.me/du-rov/1", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram post zero", in: "https://t.me/durov/0", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram post negative", in: "https://t.me/durov/-1", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram post not a number", in: "https://t.me/durov/abc", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram post too large", in: "https://t.me/durov/9223372036854775808", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram topic message", in: "https://t.me/durov/5/123", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram private without post", in: "https://t.me/c/1234567890", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram private not a number", in: "https://t.me/c/abc/1", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram private topic", in: "https://t.me/c/1234567890/5/42", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram preview of private", in: "https://t.me/s/c/1234567890/42", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram encoded slash", in: "https://t.me/durov%2F123", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram empty segment", in: "https://t.me//durov/123", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram look-alike host", in: "https://t.me.example.com/durov/123", wantErr: takedown.ErrUnsupportedURL},
	{name: "telegram app scheme", in: "tg://resolve?domain=durov&post=123", wantErr: takedown.ErrUnsupportedURL},

	// X
	{name: "x post", in: "https://x.com/jack/status/1445078208190291968", want: xPost},
	{name: "x post without scheme", in: "x.com/jack/status/1445078208190291968", want: xPost},
	{name: "x www", in: "https://www.x.com/jack/status/1445078208190291968", want: xPost},
	{name: "x mobile", in: "https://mobile.x.com/jack/status/1445078208190291968", want: xPost},
	{name: "twitter", in: "https://twitter.com/jack/status/1445078208190291968", want: xPost},
	{name: "twitter www", in: "https://www.twitter.com/jack/status/1445078208190291968", want: xPost},
	{name: "twitter mobile", in: "https://mobile.twitter.com/jack/status/1445078208190291968", want: xPost},
	{name: "x statuses", in: "https://twitter.com/jack/statuses/1445078208190291968", want: xPost},
	{name: "x photo viewer", in: "https://x.com/jack/status/1445078208190291968/photo/1", want: xPost},
	{name: "x video viewer", in: "https://x.com/jack/status/1445078208190291968/video/1/", want: xPost},
	{name: "x share params", in: "https://x.com/jack/status/1445078208190291968?s=20&t=AbCdEf", want: xPost},
	{name: "x web status", in: "https://x.com/i/web/status/1445078208190291968", want: xPost},
	{name: "x i status", in: "https://x.com/i/status/1445078208190291968", want: xPost},
	{name: "x leading zeros", in: "https://x.com/jack/status/01445078208190291968", want: xPost},
	{name: "x keyword case", in: "https://X.com/Jack/Status/1445078208190291968", want: xPost},
	{name: "x longest handle", in: "https://x.com/a23456789012345/status/1445078208190291968", want: xPost},
	{name: "x largest id", in: "https://x.com/jack/status/18446744073709551615",
		want: takedown.Content{Platform: takedown.X, ID: "18446744073709551615", URL: "https://x.com/i/status/18446744073709551615"}},
	{name: "x profile", in: "https://x.com/jack", wantErr: takedown.ErrUnsupportedURL},
	{name: "x profile tab", in: "https://x.com/jack/likes", wantErr: takedown.ErrUnsupportedURL},
	{name: "x home", in: "https://x.com/", wantErr: takedown.ErrUnsupportedURL},
	{name: "x search", in: "https://x.com/search?q=deepfake", wantErr: takedown.ErrUnsupportedURL},
	{name: "x hashtag", in: "https://twitter.com/hashtag/foo", wantErr: takedown.ErrUnsupportedURL},
	{name: "x bookmarks", in: "https://x.com/i/bookmarks", wantErr: takedown.ErrUnsupportedURL},
	{name: "x status without id", in: "https://x.com/jack/status", wantErr: takedown.ErrUnsupportedURL},
	{name: "x id zero", in: "https://x.com/jack/status/0", wantErr: takedown.ErrUnsupportedURL},
	{name: "x id not a number", in: "https://x.com/jack/status/abc", wantErr: takedown.ErrUnsupportedURL},
	{name: "x id overflows uint64", in: "https://x.com/jack/status/18446744073709551616", wantErr: takedown.ErrUnsupportedURL},
	{name: "x handle too long", in: "https://x.com/a234567890123456/status/1445078208190291968", wantErr: takedown.ErrUnsupportedURL},
	{name: "x handle with hyphen", in: "https://x.com/ja-ck/status/1445078208190291968", wantErr: takedown.ErrUnsupportedURL},
	{name: "x analytics page", in: "https://x.com/jack/status/1445078208190291968/analytics", wantErr: takedown.ErrUnsupportedURL},
	{name: "x photo zero", in: "https://x.com/jack/status/1445078208190291968/photo/0", wantErr: takedown.ErrUnsupportedURL},
	{name: "x photo with extra segment", in: "https://x.com/jack/status/1445078208190291968/photo/1/x", wantErr: takedown.ErrUnsupportedURL},

	// Facebook
	{name: "facebook post", in: "https://www.facebook.com/zuck/posts/10102577175875681", want: fbPost},
	{name: "facebook post without www", in: "facebook.com/zuck/posts/10102577175875681/", want: fbPost},
	{name: "facebook mobile", in: "https://m.facebook.com/zuck/posts/10102577175875681?mibextid=abc", want: fbPost},
	{name: "facebook web", in: "https://web.facebook.com/zuck/posts/10102577175875681", want: fbPost},
	{name: "facebook pfbid post", in: "https://www.facebook.com/SomePage/posts/pfbid02xYzAbC123", want: fbPfbid},
	{name: "facebook numeric page", in: "https://www.facebook.com/100064/posts/10102577175875681",
		want: takedown.Content{Platform: takedown.Meta, ID: "facebook/10102577175875681", URL: "https://www.facebook.com/100064/posts/10102577175875681"}},
	{name: "facebook permalink", in: "https://www.facebook.com/permalink.php?story_fbid=10102577175875681&id=4", want: fbPermalink},
	{name: "facebook permalink reordered", in: "https://m.facebook.com/permalink.php?id=4&ref=share&story_fbid=10102577175875681", want: fbPermalink},
	{name: "facebook story", in: "https://m.facebook.com/story.php?story_fbid=10102577175875681&id=4", want: fbPermalink},
	{name: "facebook story pfbid", in: "https://www.facebook.com/story.php?story_fbid=pfbid0AbC9&id=4",
		want: takedown.Content{Platform: takedown.Meta, ID: "facebook/pfbid0AbC9", URL: "https://www.facebook.com/permalink.php?story_fbid=pfbid0AbC9&id=4"}},
	{name: "fb.watch", in: "https://fb.watch/abcDEF1-_2/", want: fbWatch},
	{name: "fb.watch without slash or scheme", in: "fb.watch/abcDEF1-_2?mibextid=x", want: fbWatch},
	{name: "facebook profile", in: "https://www.facebook.com/zuck", wantErr: takedown.ErrUnsupportedURL},
	{name: "facebook home", in: "https://www.facebook.com", wantErr: takedown.ErrUnsupportedURL},
	{name: "facebook group post", in: "https://www.facebook.com/groups/123/posts/456", wantErr: takedown.ErrUnsupportedURL},
	{name: "facebook watch", in: "https://www.facebook.com/watch/?v=123", wantErr: takedown.ErrUnsupportedURL},
	{name: "facebook reel", in: "https://www.facebook.com/reel/123", wantErr: takedown.ErrUnsupportedURL},
	{name: "facebook share link", in: "https://www.facebook.com/share/p/AbC123/", wantErr: takedown.ErrUnsupportedURL},
	{name: "facebook photo", in: "https://www.facebook.com/photo.php?fbid=123", wantErr: takedown.ErrUnsupportedURL},
	{name: "facebook video", in: "https://www.facebook.com/zuck/videos/123", wantErr: takedown.ErrUnsupportedURL},
	{name: "facebook permalink without owner", in: "https://www.facebook.com/permalink.php?story_fbid=123", wantErr: takedown.ErrUnsupportedURL},
	{name: "facebook permalink without story", in: "https://www.facebook.com/permalink.php?id=4", wantErr: takedown.ErrUnsupportedURL},
	{name: "facebook permalink bad owner", in: "https://www.facebook.com/permalink.php?story_fbid=123&id=zuck", wantErr: takedown.ErrUnsupportedURL},
	{name: "facebook permalink bad story", in: "https://www.facebook.com/permalink.php?story_fbid=12.3&id=4", wantErr: takedown.ErrUnsupportedURL},
	{name: "facebook post id not an id", in: "https://www.facebook.com/zuck/posts/hello", wantErr: takedown.ErrUnsupportedURL},
	{name: "facebook bare pfbid prefix", in: "https://www.facebook.com/zuck/posts/pfbid", wantErr: takedown.ErrUnsupportedURL},
	{name: "facebook dot-dot page", in: "https://www.facebook.com/../posts/123", wantErr: takedown.ErrUnsupportedURL},
	{name: "facebook script as page", in: "https://www.facebook.com/permalink.php/posts/123", wantErr: takedown.ErrUnsupportedURL},
	{name: "facebook Kelvin-sign look-alike", in: "https://faceboo\u212a.com/zuck/posts/10102577175875681", wantErr: takedown.ErrUnsupportedURL},
	{name: "fb.watch home", in: "https://fb.watch/", wantErr: takedown.ErrUnsupportedURL},
	{name: "fb.watch extra segment", in: "https://fb.watch/abc/def", wantErr: takedown.ErrUnsupportedURL},

	// Instagram
	{name: "instagram post", in: "https://www.instagram.com/p/CxYz_-12AbC/", want: igPost},
	{name: "instagram post without www or scheme", in: "instagram.com/p/CxYz_-12AbC", want: igPost},
	{name: "instagram post share params", in: "https://www.instagram.com/p/CxYz_-12AbC/?igsh=MWQ1&utm_source=ig_web_copy_link", want: igPost},
	{name: "instagram reel", in: "https://www.instagram.com/reel/CxYz_-12AbC/", want: igPost},
	{name: "instagram reels", in: "https://www.instagram.com/reels/CxYz_-12AbC/", want: igPost},
	{name: "instagram tv", in: "https://www.instagram.com/tv/CxYz_-12AbC", want: igPost},
	{name: "instagram post under author", in: "https://www.instagram.com/some.user/p/CxYz_-12AbC/", want: igPost},
	{name: "instagram reel under author", in: "https://www.instagram.com/some_user/reel/CxYz_-12AbC/", want: igPost},
	{name: "instagram profile", in: "https://www.instagram.com/some.user/", wantErr: takedown.ErrUnsupportedURL},
	{name: "instagram kind without shortcode", in: "https://www.instagram.com/p/", wantErr: takedown.ErrUnsupportedURL},
	{name: "instagram home", in: "https://www.instagram.com/", wantErr: takedown.ErrUnsupportedURL},
	{name: "instagram story", in: "https://www.instagram.com/stories/some.user/3141592653589793238/", wantErr: takedown.ErrUnsupportedURL},
	{name: "instagram explore", in: "https://www.instagram.com/explore/tags/x/", wantErr: takedown.ErrUnsupportedURL},
	{name: "instagram bad shortcode", in: "https://www.instagram.com/p/Cx.Yz/", wantErr: takedown.ErrUnsupportedURL},
	{name: "instagram extra segment", in: "https://www.instagram.com/p/CxYz_-12AbC/extra", wantErr: takedown.ErrUnsupportedURL},

	// Threads
	{name: "threads post", in: "https://www.threads.net/@zuck/post/C8abc_-1XyZ", want: thPost},
	{name: "threads post without www", in: "threads.net/@zuck/post/C8abc_-1XyZ/?xmt=AQG", want: thPost},
	{name: "threads.com", in: "https://www.threads.com/@zuck/post/C8abc_-1XyZ", want: thPost},
	{name: "threads.com without www", in: "https://threads.com/@Zuck/post/C8abc_-1XyZ", want: thPost},
	{name: "threads short form", in: "https://www.threads.net/t/C8abc_-1XyZ", want: thShort},
	{name: "threads profile", in: "https://www.threads.net/@zuck", wantErr: takedown.ErrUnsupportedURL},
	{name: "threads home", in: "https://www.threads.net/", wantErr: takedown.ErrUnsupportedURL},
	{name: "threads post without code", in: "https://www.threads.net/@zuck/post/", wantErr: takedown.ErrUnsupportedURL},
	{name: "threads bad user", in: "https://www.threads.net/@zu-ck/post/C8abc", wantErr: takedown.ErrUnsupportedURL},
	{name: "threads search", in: "https://www.threads.net/search?q=x", wantErr: takedown.ErrUnsupportedURL},

	// Input rules shared by every platform
	{name: "empty", in: "", wantErr: takedown.ErrMalformedURL},
	{name: "only whitespace", in: " \t\n", wantErr: takedown.ErrMalformedURL},
	{name: "prose", in: "not a url", wantErr: takedown.ErrMalformedURL},
	{name: "scheme only", in: "https://", wantErr: takedown.ErrMalformedURL},
	{name: "empty host", in: "https:///watch?v=dQw4w9WgXcQ", wantErr: takedown.ErrMalformedURL},
	{name: "path only", in: "/durov/123", wantErr: takedown.ErrMalformedURL},
	{name: "scheme without slashes", in: "http:youtu.be/dQw4w9WgXcQ", wantErr: takedown.ErrMalformedURL},
	{name: "bad port", in: "https://t.me:abc/durov/123", wantErr: takedown.ErrMalformedURL},
	{name: "bad percent-encoding", in: "https://t.me/durov/12%zz", wantErr: takedown.ErrMalformedURL},
	{name: "NUL byte", in: "https://t.me/durov/123\x00", wantErr: takedown.ErrMalformedURL},
	{name: "DEL byte", in: "https://t.me/du\x7frov/123", wantErr: takedown.ErrMalformedURL},
	{name: "inner tab", in: "https://t.me/\tdurov/123", wantErr: takedown.ErrMalformedURL},
	{name: "inner newline", in: "https://t.me/durov\n/123", wantErr: takedown.ErrMalformedURL},
	{name: "C1 control", in: "https://t.me/du\u0085rov/123", wantErr: takedown.ErrMalformedURL},
	{name: "bidi override", in: "https://t.me/durov/123\u202e", wantErr: takedown.ErrMalformedURL},
	{name: "zero-width space", in: "https://t.me/du\u200brov/123", wantErr: takedown.ErrMalformedURL},
	{name: "invalid UTF-8", in: "https://t.me/\xffdurov/123", wantErr: takedown.ErrMalformedURL},
	{name: "too long", in: "https://www.youtube.com/watch?v=dQw4w9WgXcQ&pad=" + strings.Repeat("a", 2048), wantErr: takedown.ErrMalformedURL},
	{name: "exactly the longest accepted", in: padTo("https://www.youtube.com/watch?v=dQw4w9WgXcQ&pad=", 2048), want: ytVideo},
	{name: "user info", in: "https://user@x.com/jack/status/1445078208190291968", wantErr: takedown.ErrUnsupportedURL},
	{name: "user and password", in: "https://user:pw@t.me/durov/123", wantErr: takedown.ErrUnsupportedURL},
	{name: "known host as user info", in: "https://x.com@example.com/jack/status/1445078208190291968", wantErr: takedown.ErrUnsupportedURL},
	{name: "user info without scheme", in: "user@t.me/durov/123", wantErr: takedown.ErrUnsupportedURL},
	{name: "non-default port", in: "https://t.me:8443/durov/123", wantErr: takedown.ErrUnsupportedURL},
	{name: "https port on http", in: "http://t.me:443/durov/123", wantErr: takedown.ErrUnsupportedURL},
	{name: "port without scheme", in: "t.me:8080/durov/123", wantErr: takedown.ErrUnsupportedURL},
	{name: "host and port without scheme", in: "localhost:8080/durov/123", wantErr: takedown.ErrUnsupportedURL},
	{name: "javascript scheme", in: "javascript:alert(1)", wantErr: takedown.ErrUnsupportedURL},
	{name: "ftp scheme", in: "ftp://t.me/durov/123", wantErr: takedown.ErrUnsupportedURL},
	{name: "data scheme", in: "data:text/html,hello", wantErr: takedown.ErrUnsupportedURL},
	{name: "file scheme", in: "file:///etc/passwd", wantErr: takedown.ErrUnsupportedURL},
	{name: "IPv4 host", in: "https://127.0.0.1/durov/123", wantErr: takedown.ErrUnsupportedURL},
	{name: "IPv6 host", in: "https://[::1]/durov/123", wantErr: takedown.ErrUnsupportedURL},
	{name: "unknown host", in: "https://example.com/durov/123", wantErr: takedown.ErrUnsupportedURL},
	{name: "host with sub-delimiter", in: "https://t.me!/durov/123", wantErr: takedown.ErrMalformedURL},
	{name: "internationalized host", in: "https://例え.jp/durov/123", wantErr: takedown.ErrUnsupportedURL},
	{name: "unknown suffix host", in: "https://evilt.me/durov/123", wantErr: takedown.ErrUnsupportedURL},
}

// padTo pads prefix with 'a' to exactly n bytes.
func padTo(prefix string, n int) string {
	return prefix + strings.Repeat("a", n-len(prefix))
}

func TestParseURL(t *testing.T) {
	for _, tc := range parseURLCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := takedown.ParseURL(tc.in)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("ParseURL(%q) = %+v, %v; want error %v", tc.in, got, err, tc.wantErr)
				}
				if got != (takedown.Content{}) {
					t.Errorf("ParseURL(%q) returned %+v with its error; want zero Content", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Errorf("ParseURL(%q)\n got %+v\nwant %+v", tc.in, got, tc.want)
			}
		})
	}
}

// TestParseURLSameContent checks the point of normalizing: each group holds
// URL forms of one piece of content, which must all give one ID.
func TestParseURLSameContent(t *testing.T) {
	groups := map[string][]string{
		"youtube": {
			"https://www.youtube.com/watch?v=dQw4w9WgXcQ",
			"https://m.youtube.com/watch?app=desktop&v=dQw4w9WgXcQ",
			"https://music.youtube.com/watch?v=dQw4w9WgXcQ",
			"youtu.be/dQw4w9WgXcQ",
			"https://www.youtube.com/shorts/dQw4w9WgXcQ",
			"https://www.youtube.com/embed/dQw4w9WgXcQ",
			"https://www.youtube.com/live/dQw4w9WgXcQ",
			"https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
		},
		"telegram": {
			"https://t.me/durov/123",
			"https://t.me/s/Durov/123",
			"telegram.me/DUROV/123?single",
			"https://www.telegram.me/durov/123/#x",
		},
		"x": {
			"https://x.com/jack/status/20",
			"https://twitter.com/Jack/status/20?s=20",
			"https://mobile.twitter.com/jack/statuses/20",
			"https://x.com/i/web/status/20",
			"https://x.com/i/status/20",
			"https://x.com/jack/status/20/photo/2",
		},
		"facebook": {
			"https://www.facebook.com/zuck/posts/10102577175875681",
			"https://m.facebook.com/zuck/posts/10102577175875681",
			"https://www.facebook.com/permalink.php?story_fbid=10102577175875681&id=4",
			"https://web.facebook.com/story.php?id=4&story_fbid=10102577175875681",
		},
		"instagram": {
			"https://www.instagram.com/p/CxYz_-12AbC/",
			"https://www.instagram.com/reel/CxYz_-12AbC/",
			"https://www.instagram.com/reels/CxYz_-12AbC",
			"https://www.instagram.com/tv/CxYz_-12AbC",
			"https://www.instagram.com/someone/p/CxYz_-12AbC",
		},
		"threads": {
			"https://www.threads.net/@zuck/post/C8abc_-1XyZ",
			"https://threads.com/@zuck/post/C8abc_-1XyZ",
			"https://www.threads.net/t/C8abc_-1XyZ",
		},
	}
	for name, urls := range groups {
		t.Run(name, func(t *testing.T) {
			first, err := takedown.ParseURL(urls[0])
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", urls[0], err)
			}
			for _, u := range urls[1:] {
				got, err := takedown.ParseURL(u)
				if err != nil {
					t.Fatalf("ParseURL(%q): %v", u, err)
				}
				if got.Platform != first.Platform || got.ID != first.ID {
					t.Errorf("ParseURL(%q) = %s %q; want %s %q as for %q", u, got.Platform, got.ID, first.Platform, first.ID, urls[0])
				}
			}
		})
	}
}

// TestParseURLErrorMessages checks that errors say what was wrong in words
// staff can act on, and never repeat the path or query, where a victim's
// name or other data may sit.
func TestParseURLErrorMessages(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // the whole message, or "" to check only for leaks
	}{
		{name: "x profile", in: "https://x.com/victimname", want: "unsupported URL: x.com profile pages are not content; use a post URL"},
		{name: "telegram channel page", in: "https://t.me/victimname", want: "unsupported URL: t.me channel pages are not content; use a post URL"},
		{name: "unknown host", in: "https://example.com/victimname", want: `unsupported URL: host "example.com" is not a platform the system handles (YouTube, Telegram, X, Facebook, Instagram, Threads)`},
		{name: "scheme", in: "ftp://t.me/victimname/1", want: `unsupported URL: scheme "ftp" is not supported; use an http or https URL`},
		{name: "control character", in: "https://t.me/victimname/1\x00", want: "malformed URL: contains a control character"},
		{name: "too long", in: "https://t.me/victimname/1?" + strings.Repeat("a", 2100), want: "malformed URL: longer than 2048 bytes"},
		{name: "user info", in: "https://victimname@t.me/durov/1", want: "unsupported URL: URLs with a user name or password before the host are not accepted"},
		{name: "port without scheme", in: "localhost:8080/victimname", want: "unsupported URL: URLs with an explicit port are not accepted"},
		{name: "bad port", in: "https://t.me:victimname/durov/1", want: "malformed URL: the port after the host is not a number"},
		{name: "bad escape", in: "https://t.me/victimname%zz/1", want: "malformed URL: bad percent-encoding"},
		{name: "bad host character", in: "https://t.me!victimname/durov/1", want: "malformed URL: the host contains characters no host name has"},
		{name: "conflicting parameter", in: "https://www.youtube.com/watch?v=victimname1&v=victimname2"},
		{name: "bad facebook owner", in: "https://www.facebook.com/permalink.php?story_fbid=1&id=victimname"},
		{name: "bad channel", in: "https://t.me/victim-name/1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := takedown.ParseURL(tc.in)
			if err == nil {
				t.Fatalf("ParseURL(%q) succeeded; want an error", tc.in)
			}
			msg := err.Error()
			if tc.want != "" && msg != tc.want {
				t.Errorf("message\n got %q\nwant %q", msg, tc.want)
			}
			if strings.Contains(strings.ToLower(msg), "victim") {
				t.Errorf("message %q repeats part of the URL's path, query or user info", msg)
			}
		})
	}
}

func TestParseContentID(t *testing.T) {
	tests := []struct {
		name     string
		platform takedown.Platform
		id       string
		want     takedown.Content // zero when an error is expected
	}{
		{name: "youtube", platform: takedown.YouTube, id: "dQw4w9WgXcQ", want: ytVideo},
		{name: "telegram", platform: takedown.Telegram, id: "durov/123", want: tgPost},
		{name: "telegram private", platform: takedown.Telegram, id: "c/1234567890/42", want: tgPrivate},
		{name: "x", platform: takedown.X, id: "1445078208190291968", want: xPost},
		{name: "facebook numeric", platform: takedown.Meta, id: "facebook/10102577175875681",
			want: takedown.Content{Platform: takedown.Meta, ID: "facebook/10102577175875681", URL: "https://www.facebook.com/10102577175875681"}},
		{name: "facebook pfbid", platform: takedown.Meta, id: "facebook/pfbid02xYzAbC123",
			want: takedown.Content{Platform: takedown.Meta, ID: "facebook/pfbid02xYzAbC123", URL: "https://www.facebook.com/pfbid02xYzAbC123"}},
		{name: "fb.watch", platform: takedown.Meta, id: "fbwatch/abcDEF1-_2", want: fbWatch},
		{name: "instagram", platform: takedown.Meta, id: "instagram/CxYz_-12AbC", want: igPost},
		{name: "threads", platform: takedown.Meta, id: "threads/C8abc_-1XyZ", want: thShort},

		{name: "unknown platform", platform: "tiktok", id: "123"},
		{name: "empty platform", platform: "", id: "dQw4w9WgXcQ"},
		{name: "id on the wrong platform", platform: takedown.X, id: "dQw4w9WgXcQ"},
		{name: "youtube empty", platform: takedown.YouTube, id: ""},
		{name: "youtube too short", platform: takedown.YouTube, id: "dQw4w9WgXc"},
		{name: "youtube url instead of id", platform: takedown.YouTube, id: "https://youtu.be/dQw4w9WgXcQ"},
		{name: "telegram upper case", platform: takedown.Telegram, id: "Durov/123"},
		{name: "telegram leading zero", platform: takedown.Telegram, id: "durov/0123"},
		{name: "telegram no post", platform: takedown.Telegram, id: "durov"},
		{name: "telegram extra part", platform: takedown.Telegram, id: "durov/1/2"},
		{name: "telegram private zero", platform: takedown.Telegram, id: "c/0/1"},
		{name: "telegram private upper case", platform: takedown.Telegram, id: "C/1/1"},
		{name: "x zero", platform: takedown.X, id: "0"},
		{name: "x leading zero", platform: takedown.X, id: "020"},
		{name: "x overflow", platform: takedown.X, id: "18446744073709551616"},
		{name: "x sign", platform: takedown.X, id: "+20"},
		{name: "meta without kind", platform: takedown.Meta, id: "10102577175875681"},
		{name: "meta unknown kind", platform: takedown.Meta, id: "whatsapp/123"},
		{name: "facebook empty", platform: takedown.Meta, id: "facebook/"},
		{name: "facebook leading zero", platform: takedown.Meta, id: "facebook/0123"},
		{name: "facebook page included", platform: takedown.Meta, id: "facebook/zuck/posts/123"},
		{name: "instagram bad shortcode", platform: takedown.Meta, id: "instagram/a.b"},
		{name: "threads with user", platform: takedown.Meta, id: "threads/@zuck/C8abc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := takedown.ParseContentID(tc.platform, tc.id)
			if tc.want == (takedown.Content{}) {
				if !errors.Is(err, takedown.ErrInvalidContentID) {
					t.Fatalf("ParseContentID(%q, %q) = %+v, %v; want ErrInvalidContentID", tc.platform, tc.id, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseContentID(%q, %q): %v", tc.platform, tc.id, err)
			}
			if got != tc.want {
				t.Errorf("ParseContentID(%q, %q)\n got %+v\nwant %+v", tc.platform, tc.id, got, tc.want)
			}
		})
	}
}
