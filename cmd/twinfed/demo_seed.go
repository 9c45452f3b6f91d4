package main

import (
	"fmt"

	"github.com/twinfed/twinfed"
)

// demoCountry describes one national node of the demo and the sample data it
// is seeded with. Everything is generated deterministically, so that a
// resumed demo and a newcomer's first run show the same schools and people.
type demoCountry struct {
	Code     string
	Agency   string
	Language string // the node's own UI language besides English
	Cities   []demoCity
	Prefixes []demoPrefix // school name prefixes by level
	Patrons  []string     // names schools are named after
	Number   func(i int, city demoCity) string
	Teachers []demoTeacher
}

type demoCity struct{ Name, Region, Code string }

type demoPrefix struct {
	Name  string
	Level twinfed.SchoolLevel
}

type demoTeacher struct {
	Username, First, Last string
	Subjects              []string // subject ids (twinfed.Subjects)
	Languages             []string
	Ages                  []int
	Description           string
}

// demoSchoolsPerCountry is how many schools each demo country is seeded with.
const demoSchoolsPerCountry = 300

var demoCountries = []demoCountry{
	{
		Code: "IT", Agency: "Unità nazionale eTwinning – Indire", Language: "it",
		Cities: []demoCity{
			{"Roma", "Lazio", "RM"}, {"Milano", "Lombardia", "MI"}, {"Firenze", "Toscana", "FI"},
			{"Napoli", "Campania", "NA"}, {"Torino", "Piemonte", "TO"}, {"Bologna", "Emilia-Romagna", "BO"},
			{"Palermo", "Sicilia", "PA"}, {"Bari", "Puglia", "BA"}, {"Genova", "Liguria", "GE"},
			{"Venezia", "Veneto", "VE"}, {"Cagliari", "Sardegna", "CA"}, {"Trento", "Trentino-Alto Adige", "TN"},
		},
		Prefixes: []demoPrefix{
			{"Scuola dell'infanzia", twinfed.LevelEarlyChildhood}, {"Scuola primaria", twinfed.LevelPrimary},
			{"Istituto comprensivo", twinfed.LevelLowerSecondary}, {"Liceo scientifico", twinfed.LevelUpperSecondary},
			{"Liceo classico", twinfed.LevelUpperSecondary}, {"Istituto tecnico", twinfed.LevelVocational},
		},
		Patrons: []string{"Galileo Galilei", "Maria Montessori", "Dante Alighieri", "Leonardo da Vinci", "Grazia Deledda",
			"Enrico Fermi", "Rita Levi-Montalcini", "Alessandro Manzoni", "Giuseppe Garibaldi", "Italo Calvino",
			"Gianni Rodari", "Primo Levi", "Natalia Ginzburg", "Giacomo Leopardi", "Elsa Morante", "Carlo Collodi",
			"Margherita Hack", "Luigi Pirandello", "Eugenio Montale", "Sandro Pertini", "Ada Negri", "Cesare Pavese", "Don Milani", "Falcone e Borsellino", "Piero della Francesca"},
		Number: func(i int, c demoCity) string { return fmt.Sprintf("%sIC%05d", c.Code, 81000+i) },
		Teachers: []demoTeacher{
			{"giulia.rossi", "Giulia", "Rossi", []string{"english", "geography"}, []string{"it", "en", "fr"}, []int{11, 12, 13}, "English teacher in Florence, keen on CLIL projects about cities and maps."},
			{"marco.bianchi", "Marco", "Bianchi", []string{"science", "mathematics"}, []string{"it", "en"}, []int{14, 15, 16}, "Science teacher; my classes love citizen-science projects on water and climate."},
			{"chiara.esposito", "Chiara", "Esposito", []string{"art", "history"}, []string{"it", "es", "en"}, []int{8, 9, 10}, "Primary teacher in Naples: art, stories and European heritage."},
		},
	},
	{
		Code: "FR", Agency: "Bureau d'assistance national eTwinning – Réseau Canopé", Language: "fr",
		Cities: []demoCity{
			{"Paris", "Île-de-France", "075"}, {"Lyon", "Auvergne-Rhône-Alpes", "069"}, {"Marseille", "Provence-Alpes-Côte d'Azur", "013"},
			{"Toulouse", "Occitanie", "031"}, {"Lille", "Hauts-de-France", "059"}, {"Bordeaux", "Nouvelle-Aquitaine", "033"},
			{"Nantes", "Pays de la Loire", "044"}, {"Strasbourg", "Grand Est", "067"}, {"Rennes", "Bretagne", "035"},
			{"Dijon", "Bourgogne-Franche-Comté", "021"}, {"Rouen", "Normandie", "076"}, {"Ajaccio", "Corse", "620"},
		},
		Prefixes: []demoPrefix{
			{"École maternelle", twinfed.LevelEarlyChildhood}, {"École élémentaire", twinfed.LevelPrimary},
			{"Collège", twinfed.LevelLowerSecondary}, {"Lycée", twinfed.LevelUpperSecondary},
			{"Lycée professionnel", twinfed.LevelVocational},
		},
		Patrons: []string{"Victor Hugo", "Marie Curie", "Jules Ferry", "Jean Moulin", "Simone Veil", "Albert Camus",
			"Louise Michel", "Jean Jaurès", "George Sand", "Molière", "Jules Verne", "Antoine de Saint-Exupéry",
			"Olympe de Gouges", "Voltaire", "Colette", "Jacques Prévert", "Marcel Pagnol", "Émile Zola", "Rosa Parks", "Condorcet", "Paul Éluard", "Germaine Tillion", "Pierre de Coubertin", "Gustave Eiffel", "Claude Monet"},
		Number: func(i int, c demoCity) string { return fmt.Sprintf("%s%04d%c", c.Code, 1000+i, 'A'+rune(i%26)) },
		Teachers: []demoTeacher{
			{"camille.martin", "Camille", "Martin", []string{"english", "history"}, []string{"fr", "en", "it"}, []int{11, 12, 13}, "Professeure d'anglais à Lyon, j'aime les projets sur le patrimoine européen."},
			{"lucas.bernard", "Lucas", "Bernard", []string{"mathematics", "computing"}, []string{"fr", "en"}, []int{15, 16, 17}, "Maths and coding in a lycée in Toulouse; looking for partners for a robotics project."},
			{"ines.dubois", "Inès", "Dubois", []string{"foreign_languages", "music"}, []string{"fr", "es", "en"}, []int{7, 8, 9}, "Professeure des écoles à Lille: chansons, contes et correspondance."},
		},
	},
	{
		Code: "ES", Agency: "Servicio Nacional de Apoyo eTwinning – INTEF", Language: "es",
		Cities: []demoCity{
			{"Madrid", "Comunidad de Madrid", "28"}, {"Barcelona", "Cataluña", "08"}, {"Valencia", "Comunitat Valenciana", "46"},
			{"Sevilla", "Andalucía", "41"}, {"Zaragoza", "Aragón", "50"}, {"Bilbao", "País Vasco", "48"},
			{"Málaga", "Andalucía", "29"}, {"Valladolid", "Castilla y León", "47"}, {"Oviedo", "Asturias", "33"},
			{"Palma", "Illes Balears", "07"}, {"Santiago de Compostela", "Galicia", "15"}, {"Las Palmas", "Canarias", "35"},
		},
		Prefixes: []demoPrefix{
			{"Escuela infantil", twinfed.LevelEarlyChildhood}, {"CEIP", twinfed.LevelPrimary},
			{"IES", twinfed.LevelLowerSecondary}, {"Colegio", twinfed.LevelUpperSecondary},
			{"CIFP", twinfed.LevelVocational},
		},
		Patrons: []string{"Miguel de Cervantes", "Federico García Lorca", "Clara Campoamor", "Antonio Machado", "Rosalía de Castro",
			"Santiago Ramón y Cajal", "Emilia Pardo Bazán", "Gloria Fuertes", "Benito Pérez Galdós", "María Zambrano",
			"Severo Ochoa", "Concepción Arenal", "Juan Ramón Jiménez", "Miguel Hernández", "Francisco de Goya", "Pablo Picasso",
			"Margarita Salas", "Carmen Martín Gaite", "Luis Vives", "Jovellanos", "Isaac Albéniz", "Ana María Matute", "Joan Miró", "Velázquez", "Unamuno"},
		Number: func(i int, c demoCity) string { return fmt.Sprintf("%s%06d", c.Code, 10000+i) },
		Teachers: []demoTeacher{
			{"lucia.garcia", "Lucía", "García", []string{"english", "science"}, []string{"es", "en", "fr"}, []int{12, 13, 14}, "Profesora de inglés en Valencia; proyectos STEAM y de medio ambiente."},
			{"javier.lopez", "Javier", "López", []string{"history", "geography"}, []string{"es", "en", "it"}, []int{15, 16}, "History teacher in Seville, interested in projects about European citizenship."},
			{"marta.sanchez", "Marta", "Sánchez", []string{"art", "foreign_languages"}, []string{"es", "ca", "en"}, []int{6, 7, 8}, "Maestra en Barcelona: arte, cuentos y juegos en varias lenguas."},
		},
	},
}

// demoSchools returns the seed schools of a demo country. The ids are left
// for the registry to assign; national numbers are unique per country.
func demoSchools(dc demoCountry) []twinfed.School {
	out := make([]twinfed.School, 0, demoSchoolsPerCountry)
	for i := 0; i < demoSchoolsPerCountry; i++ {
		city := dc.Cities[i%len(dc.Cities)]
		prefix := dc.Prefixes[(i/len(dc.Cities))%len(dc.Prefixes)]
		patron := dc.Patrons[(i/(len(dc.Cities)*len(dc.Prefixes)))%len(dc.Patrons)]
		inst := twinfed.InstitutionState
		if i%7 == 3 {
			inst = twinfed.InstitutionRecognisedPrivate
		}
		s := twinfed.School{
			Country:        dc.Code,
			LegalName:      fmt.Sprintf("%s %s", prefix.Name, patron),
			PublicName:     fmt.Sprintf("%s %s – %s", prefix.Name, patron, city.Name),
			City:           city.Name,
			Region:         city.Region,
			NationalNumber: dc.Number(i, city),
			Level:          prefix.Level,
			Institution:    inst,
			Status:         twinfed.SchoolValidated,
			ValidatedBy:    dc.Code,
		}
		if prefix.Level == twinfed.LevelVocational {
			s.CourseYears = 3 + i%3
		}
		out = append(out, s)
	}
	return out
}
