package platforms

// ChannelDefaults are a platform's channels when its configuration names
// none, and the channels it can take at all.
type ChannelDefaults struct {
	Ordinary, Priority Channel
	Allowed            []Channel
}

// DefaultChannels is the one definition of each platform's default
// channels; the adapters and the commands' configuration both read it.
var DefaultChannels = map[Platform]ChannelDefaults{
	YouTube:  {Ordinary: ChannelAPI, Priority: ChannelPortal, Allowed: []Channel{ChannelAPI, ChannelPortal}},
	Telegram: {Ordinary: ChannelEmail, Priority: ChannelEmail, Allowed: []Channel{ChannelEmail, ChannelPortal}},
	X:        {Ordinary: ChannelPortal, Priority: ChannelPortal, Allowed: []Channel{ChannelPortal, ChannelEmail}},
	Meta:     {Ordinary: ChannelPortal, Priority: ChannelPortal, Allowed: []Channel{ChannelPortal, ChannelEmail}},
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
