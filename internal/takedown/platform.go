package takedown

// Platform names a platform family the regulator sends notices to.
type Platform string

const (
	YouTube  Platform = "youtube"
	Telegram Platform = "telegram"
	X        Platform = "x"
	Meta     Platform = "meta" // Facebook, Instagram and Threads share one legal channel.
)

// Platforms lists the platforms in a stable order.
var Platforms = []Platform{YouTube, Telegram, X, Meta}

// Valid reports whether p is a platform the system knows.
func (p Platform) Valid() bool {
	for _, q := range Platforms {
		if p == q {
			return true
		}
	}
	return false
}

// Category is the legal category of the reported content.
type Category string

const (
	DeepfakeSexual Category = "deepfake_sexual"
	NCII           Category = "ncii" // non-consensual intimate images
	CSAM           Category = "csam"
	Sextortion     Category = "sextortion"
	OtherIllegal   Category = "other_illegal"
)

// Categories lists the categories in a stable order.
var Categories = []Category{DeepfakeSexual, NCII, CSAM, Sextortion, OtherIllegal}

// Valid reports whether c is a known category.
func (c Category) Valid() bool {
	for _, d := range Categories {
		if c == d {
			return true
		}
	}
	return false
}
