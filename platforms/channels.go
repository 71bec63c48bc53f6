package platforms

import "github.com/takedown-oss/takedown/internal/takedown"

// ChannelDefaults are a platform's channels when its configuration names
// none, and the channels it can take at all.
type ChannelDefaults struct {
	Ordinary, Priority takedown.Channel
	Allowed            []takedown.Channel
}

// DefaultChannels is the one definition of each platform's default
// channels; the adapters and the commands' configuration both read it.
var DefaultChannels = map[takedown.Platform]ChannelDefaults{
	takedown.YouTube:  {Ordinary: takedown.ChannelAPI, Priority: takedown.ChannelPortal, Allowed: []takedown.Channel{takedown.ChannelAPI, takedown.ChannelPortal}},
	takedown.Telegram: {Ordinary: takedown.ChannelEmail, Priority: takedown.ChannelEmail, Allowed: []takedown.Channel{takedown.ChannelEmail, takedown.ChannelPortal}},
	takedown.X:        {Ordinary: takedown.ChannelPortal, Priority: takedown.ChannelPortal, Allowed: []takedown.Channel{takedown.ChannelPortal, takedown.ChannelEmail}},
	takedown.Meta:     {Ordinary: takedown.ChannelPortal, Priority: takedown.ChannelPortal, Allowed: []takedown.Channel{takedown.ChannelPortal, takedown.ChannelEmail}},
}

// IsDigits tells whether s is a non-empty run of ASCII digits (post and
// status ids).
func IsDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
